"""The website tracker's endpoint: what the widget loader on the business's site records (page views,
the site's own events, time on page), for the visitor its signed token names."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError, ValidationFailed
from apps.core.jsonsafety import loads
from apps.core.ratelimit import check_rate
from apps.core.tenancy import current_schema
from apps.widget.identity import read_visitor_token
from apps.widget.selectors import widget_key

from .actions import MAX_BATCH_BYTES, do_record_browser_events


def _answer(origin: str, status: int, body: dict[str, Any] | None = None) -> HttpResponse:
    response: HttpResponse = JsonResponse(body, status=status) if body is not None else HttpResponse(status=status)
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
def track(request: HttpRequest) -> HttpResponse:
    """`POST /widget/events/` with a text/plain JSON body {key, visitor, events} (a simple request:
    no preflight, and `navigator.sendBeacon` can send it as the page goes away). Answers 204, or
    the product's error body with 400 / 403 / 413 / 429."""
    origin = request.headers.get("Origin", "")
    try:
        if len(request.body) > MAX_BATCH_BYTES:
            raise ValidationFailed(_("A batch may hold at most 64 KB."), code="too_large", status=413)
        payload = loads(request.body)
        if not isinstance(payload, dict):
            raise ValidationFailed(_("Send a JSON object."))
        wk = widget_key(payload.get("key"))
        if wk is None or not wk.allows_origin(origin):
            # The same answer for an unknown key and a page that may not use it.
            raise ApplicationError(_("This site may not record events here."), code="origin_not_allowed", status=403)
        visitor = read_visitor_token(payload.get("visitor"), current_schema(), wk.pk)
        if visitor is None:
            raise ValidationFailed(_("The visitor token is missing or expired."), code="unknown_visitor")
        check_rate(
            current_schema(), "webevents", str(visitor["v"]), settings.WEB_EVENT_BATCHES_PER_MINUTE, window_seconds=60
        )
        do_record_browser_events(int(visitor["c"]), str(visitor["v"]), payload.get("events"))
    except ApplicationError as exc:
        response = _answer(origin, exc.status, {"error": exc.as_dict()})
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            response["Retry-After"] = str(retry_after)
        return response
    return _answer(origin, 204)
