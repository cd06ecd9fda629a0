from typing import Any

from django import forms
from django.http import HttpRequest

from apps.core.admin_site import RoleAdmin, tenant_admin
from apps.core.errors import ValidationFailed

from .actions import WIDGET_KEY_FIELDS, do_create_widget_key, do_update_widget_key
from .models import WidgetKey
from .origins import check_allowed_origins


class WidgetKeyForm(forms.ModelForm):
    class Meta:
        model = WidgetKey
        fields = ("name", "queue", "allowed_origins", "enabled", "prechat_form", "greeting")

    def clean_allowed_origins(self) -> list[str]:
        try:
            return check_allowed_origins(self.cleaned_data.get("allowed_origins") or [])
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.fields.get("allowed_origins") or [str(exc)]) from None


class WidgetKeyAdmin(RoleAdmin):
    form = WidgetKeyForm
    list_display = ("name", "public_key", "queue", "enabled")
    readonly_fields = ("public_key", "secret")
    fields = ("name", "queue", "allowed_origins", "enabled", "prechat_form", "greeting", "public_key", "secret")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in WIDGET_KEY_FIELDS if name in form.cleaned_data}
        if change:
            saved = do_update_widget_key(request.user, obj, **values)
        else:
            saved = do_create_widget_key(request.user, **values)
        obj.pk = saved.pk
        obj.refresh_from_db()


tenant_admin.register(WidgetKey, WidgetKeyAdmin)
