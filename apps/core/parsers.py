"""The API's JSON parser: DRF's, with the checks every untrusted body gets (apps.core.jsonsafety)."""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from .error_pages import too_large_message
from .errors import ValidationFailed
from .jsonsafety import loads


class CheckedJSONParser(JSONParser):
    def parse(self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None) -> Any:
        # DRF streams the body past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check: apply it here.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1 if limit is not None else -1) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            raise ValidationFailed(too_large_message(), code="too_large")
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        if isinstance(raw, bytes) and encoding.lower().replace("-", "") != "utf8":
            try:
                raw = raw.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                raw = b"\xff"  # answered as invalid JSON
        return loads(raw)
