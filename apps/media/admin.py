from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.core.admin_site import RoleAdmin, tenant_admin

from .models import QueueCallMedia

MEDIA_EXTENSIONS = (".mp3", ".ogg", ".opus", ".wav", ".m4a", ".webm", ".mp4", ".mkv")
MAX_MEDIA_BYTES = 50 * 1024 * 1024


def _check_media(upload: Any) -> Any:
    if upload and hasattr(upload, "size"):
        if not str(upload.name).lower().endswith(MEDIA_EXTENSIONS):
            raise ValidationError(_("Use an audio or video file (%(ext)s).") % {"ext": ", ".join(MEDIA_EXTENSIONS)})
        if upload.size > MAX_MEDIA_BYTES:
            raise ValidationError(_("Files are limited to 50 MB."))
    return upload


class QueueCallMediaForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = QueueCallMedia
        fields = ("queue", "ringback", "hold")

    def clean_ringback(self) -> Any:
        return _check_media(self.cleaned_data.get("ringback"))

    def clean_hold(self) -> Any:
        return _check_media(self.cleaned_data.get("hold"))


class QueueCallMediaAdmin(RoleAdmin):
    form = QueueCallMediaForm
    list_display = ("queue", "ringback", "hold")


tenant_admin.register(QueueCallMedia, QueueCallMediaAdmin)
