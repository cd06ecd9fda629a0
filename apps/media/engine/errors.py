from __future__ import annotations

from apps.core.errors import ApplicationError


class MediaError(ApplicationError):
    """A media request refused; the reply is `{"type": "media.error", "code", "message"}`."""

    code = "media_error"
