from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import HttpRequest

from apps.accounts.models import User
from apps.core.admin_site import RoleAdmin, RoleInline, tenant_admin

from .expressions import ExpressionError, known_names, parse
from .models import BusinessHours, Holiday, InteractionAttribute, Queue, RoutingStep
from .queue_actions import do_record_queue_edited


class RoutingStepForm(forms.ModelForm):
    class Meta:
        model = RoutingStep
        fields = ("order", "expression", "duration_seconds")

    def clean_expression(self) -> str:
        value = str(self.cleaned_data.get("expression", ""))
        try:
            parse(value, known_names())
        except ExpressionError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return value


class RoutingStepInline(RoleInline):
    model = RoutingStep
    form = RoutingStepForm
    fields = ("order", "expression", "duration_seconds")


class QueueAdmin(RoleAdmin):
    list_display = ("name", "priority", "sla_percent", "sla_seconds", "offer_timeout_seconds", "overflow_action")
    filter_horizontal = ("members",)
    inlines = [RoutingStepInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        do_record_queue_edited(form.instance, actor=cast(User, request.user))


class HolidayInline(RoleInline):
    model = Holiday


class BusinessHoursAdmin(RoleAdmin):
    list_display = ("name", "timezone")
    inlines = [HolidayInline]


class InteractionAttributeAdmin(RoleAdmin):
    list_display = ("name", "type")


tenant_admin.register(Queue, QueueAdmin)
tenant_admin.register(BusinessHours, BusinessHoursAdmin)
tenant_admin.register(InteractionAttribute, InteractionAttributeAdmin)
