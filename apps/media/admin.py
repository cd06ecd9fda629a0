from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.core.admin_site import RoleAdmin, tenant_admin

from .models import QueueCallMedia

MEDIA_EXTENSIONS = (".mp3", ".ogg", ".opus", ".wav", ".m4a", ".webm", ".mp4", ".mkv")
MAX_MEDIA_BYTES = 50 * 1024 * 1024


class QueueCallMediaAdmin(RoleAdmin):
    list_display = ("queue", "ringback", "hold")

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)

        def clean_file(self: Any, name: str) -> Any:
            upload = self.cleaned_data.get(name)
            if upload and hasattr(upload, "size"):
                if not str(upload.name).lower().endswith(MEDIA_EXTENSIONS):
                    raise ValidationError(
                        _("Use an audio or video file (%(ext)s).") % {"ext": ", ".join(MEDIA_EXTENSIONS)}
                    )
                if upload.size > MAX_MEDIA_BYTES:
                    raise ValidationError(_("Files are limited to 50 MB."))
            return upload

        form.clean_ringback = lambda self: clean_file(self, "ringback")
        form.clean_hold = lambda self: clean_file(self, "hold")
        return form


tenant_admin.register(QueueCallMedia, QueueCallMediaAdmin)
