"""The DRF exception handler: every API error, ours or DRF's, has the same shape."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .error_pages import too_large_message, too_many_fields_message
from .errors import ApplicationError

logger = logging.getLogger(__name__)


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, list):
                out[str(key)] = [str(v) for v in value]
            elif isinstance(value, dict):
                for sub_key, sub_value in _flatten(value).items():
                    out[f"{key}.{sub_key}"] = sub_value
            else:
                out[str(key)] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return Response({"error": exc.as_dict()}, status=exc.status, headers=headers)
    if isinstance(exc, RequestDataTooBig):
        body = {"code": "too_large", "message": too_large_message(), "fields": {}}
        return Response({"error": body}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, SuspiciousOperation):  # too many fields or files in a form body
        body = {"code": "too_many_fields", "message": too_many_fields_message(), "fields": {}}
        return Response({"error": body}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        body = {"code": "invalid", "message": _("Some fields are not valid."), "fields": fields}
        return Response({"error": body}, status=status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        body = {"code": "server_error", "message": _("Something went wrong on our side."), "fields": {}}
        return Response({"error": body}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    assert isinstance(exc, exceptions.APIException)
    code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    response.data = {"error": {"code": code, "message": str(message), "fields": {}}}
    return response
