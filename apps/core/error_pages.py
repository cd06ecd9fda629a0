"""The product's own error answers: a JSON error body under /api/, a page in the product's style
elsewhere. Used as Django's handler400/403/404/500 and, while DEBUG is on, instead of Django's
technical pages for everyone who is not signed in (widget visitors, the public site)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 413: "too_large", 500: "server_error"}


def _texts(status: int) -> tuple[str, str]:
    if status == 404:
        return _("Page not found"), _("There is nothing at this address. Check the link or start again.")
    if status == 403:
        return _("Not allowed"), _("You are not allowed to open this page.")
    if status >= 500:
        return _("Something went wrong"), _("Something went wrong on our side. Please try again in a moment.")
    return _("Bad request"), _("We could not understand this request. Please check it and try again.")


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.headers.get("Accept", "").startswith("application/json")


def error_response(
    request: HttpRequest,
    status: int,
    *,
    code: str | None = None,
    message: str | None = None,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    title, default_message = _texts(status)
    text = message or default_message
    if wants_json(request):
        body = {"code": code or _CODES.get(status, "error"), "message": text, "fields": fields or {}}
        return JsonResponse({"error": body}, status=status)
    html = render_to_string("core/error.html", {"status": status, "title": title, "message": text})
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(request, 500)


def _is_technical_page(response: HttpResponse) -> bool:
    """Django's debug pages (technical 404/500, the CSRF help) all say why they are shown."""
    if response.streaming or response.status_code < 400:
        return False
    content = response.content
    return b"DEBUG = True" in content and b"Django settings file" in content


class PublicErrorPagesMiddleware:
    """Outermost: with DEBUG on (`make run`), Django answers errors with pages that show code, settings
    and URL patterns. Only signed-in users (developers trying the product) keep them; anyone else
    gets the product's own page with the same status."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        response = self.get_response(request)
        if not settings.DEBUG or not _is_technical_page(response):
            return response
        try:
            signed_in = bool(getattr(request, "user", None) and request.user.is_authenticated)
        except Exception:  # the user cannot even be loaded (the failure may be the database)
            signed_in = False
        if signed_in:
            return response
        return error_response(request, response.status_code)


class BadInputMiddleware:
    """Form fields and query parameters are checked once for every view (JSON bodies are checked by
    the API's parser): too large, too many fields, a broken multipart body, NUL or a lone surrogate
    answer 400 with the product's error instead of failing later in the database with a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
        from django.http.multipartparser import MultiPartParserError

        from .jsonsafety import BadInput, check_query_dict

        try:
            check_query_dict(request.GET)
            if request.method == "POST" and request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                check_query_dict(request.POST)
        except BadInput as exc:
            return error_response(request, 400, code=exc.code, message=exc.message, fields=exc.fields)
        except RequestDataTooBig:
            return error_response(request, 400, code="too_large", message=too_large_message())
        except SuspiciousOperation:  # too many fields or files
            return error_response(request, 400, code="too_many_fields", message=too_many_fields_message())
        except MultiPartParserError:
            return error_response(request, 400, code="bad_multipart", message=_("The uploaded form is malformed."))
        return self.get_response(request)


def too_large_message() -> str:
    return _("The request is too large: at most %(n)d bytes are accepted.") % {
        "n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    }


def too_many_fields_message() -> str:
    return _("The request has too many fields: at most %(n)d are accepted.") % {
        "n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    }


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the form's security token was missing or stale (usually an old tab)."""
    return error_response(
        request,
        403,
        code="csrf_failed",
        message=_("This form has expired or was sent from another site. Reload the page and try again."),
    )
