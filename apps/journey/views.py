"""Journey's pages: contacts, and a contact's timeline. (The website tracker's endpoint is not a
Django view: it runs on the event loop, `journey.asgi`.)"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import User
from apps.core.errors import ApplicationError, NotFound, ValidationFailed
from apps.core.validation import whole_number
from apps.inbox.actions import do_merge_contacts
from apps.inbox.models import Channel, Contact
from apps.inbox.selectors import contact_payload, merge_suggestions, search_contacts, visible_contacts

from .engagement import do_engage
from .selectors import (
    OUTCOMES,
    WEB,
    JourneyFilters,
    journey_with_summary,
    parse_filters,
    readable_contact,
)

# --- pages: contacts and a contact's journey -------------------------------------------------------


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    channels = {str(value): str(label) for value, label in Channel.choices}
    channels[WEB] = _("Web")
    outcomes = {
        "resolved": _("resolved"),
        "abandoned": _("abandoned"),
        "callback": _("callback requested"),
        "waiting": _("waiting"),
        "open": _("open"),
        "transferred": _("transferred"),
    }
    return channels, outcomes


def _for_page(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries with what the page shows: times as datetimes, channel and outcome in words."""
    channels, outcomes = _labels()
    directions = {"inbound": _("inbound"), "outbound": _("outbound")}
    return [
        {
            **e,
            "at_dt": parse_datetime(e["at"]),
            "channel_label": channels.get(e["channel"], e["channel"]),
            "outcome_label": outcomes.get(e.get("outcome") or "", e.get("outcome") or ""),
            "direction_label": directions.get(e.get("direction") or "", ""),
        }
        for e in entries
    ]


def _timeline(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Channel lanes over time for the entries on the page: each entry's position and width in
    per cent of the span it covers (drawn as SVG by the template)."""
    if not entries:
        return None
    spans = []
    for e in entries:
        start = parse_datetime(e["at"])
        end = parse_datetime(e["ended_at"]) if e.get("ended_at") else start
        if start is None or end is None:
            continue
        spans.append((e, start, max(end, start)))
    if not spans:
        return None
    first = min(s for _, s, _ in spans)
    last = max(e for _, _, e in spans)
    total = max((last - first).total_seconds(), 1.0)
    lanes: dict[str, list[dict[str, Any]]] = {}
    for e, start, end in spans:
        x = (start - first).total_seconds() / total * 100
        width = (end - start).total_seconds() / total * 100
        lanes.setdefault(e["channel_label"], []).append(
            {"x": round(min(x, 99.4), 2), "w": round(max(width, 0.6), 2), "entry": e, "start": start}
        )
    channels, _outcomes = _labels()
    order = [channels.get(c, c) for c in ("chat", "voice", "video", "email", "messaging", "callback", WEB)]
    names = sorted(lanes, key=lambda c: order.index(c) if c in order else len(order))
    return {
        "first": first,
        "last": last,
        "lanes": [{"channel": c, "items": lanes[c]} for c in names],
    }


@login_required
@require_GET
def contacts_page(request: HttpRequest) -> HttpResponse:
    """Contacts the user may read, searched by name, email, phone or customer id; newest first."""
    user = cast(User, request.user)
    q = request.GET.get("q", "")[:254]
    found = search_contacts(visible_contacts(user), q).annotate(last_contact=Max("interactions__created_at"))
    page = Paginator(found.prefetch_related("identities"), 50).get_page(request.GET.get("page"))
    context = {"q": q, "page": page, "rows": [(c, contact_payload(c)) for c in page.object_list]}
    template = "journey/_contact_rows.html" if request.htmx else "journey/contacts.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@require_GET
def journey_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A contact's whole timeline: summary, channel lanes over time, and the entries with filters."""
    user = cast(User, request.user)
    try:
        contact = readable_contact(user, pk)
    except NotFound:
        raise Http404 from None
    if contact.pk != pk:
        return redirect("journey-contact", pk=contact.pk)
    error = ""
    try:
        filters = parse_filters(request.GET)
    except ValidationFailed as exc:
        error = exc.message
        filters = JourneyFilters()
    page = journey_with_summary(contact, filters)
    query = request.GET.copy()
    query.pop("cursor", None)
    entries = _for_page(page["entries"])
    channels, outcomes = _labels()
    summary = page["summary"]
    last = summary["last_contact"]
    if last:
        last = {
            **last,
            "at_dt": parse_datetime(last["at"]),
            "channel_label": channels.get(last["channel"], last["channel"]),
            "outcome_label": outcomes.get(last["outcome"], last["outcome"]),
        }
    context = {
        "contact": contact_payload(contact),
        "first_seen": contact.created_at,
        "summary": summary,
        "last": last,
        "by_channel": [(channels.get(c, c), n) for c, n in summary["by_channel"].items()],
        "entries": entries,
        "cases": page["cases"],
        "next_cursor": page["next_cursor"],
        "query": query.urlencode(),
        "filters": filters,
        "since_value": request.GET.get("since", "")[:10] if not error else "",
        "until_value": request.GET.get("until", "")[:10] if not error else "",
        "error": error,
        "timeline": _timeline(entries),
        "channels": [(c, channels.get(c, c)) for c in [*Channel.values, WEB]],
        "outcomes": [(o, outcomes.get(o, o)) for o in OUTCOMES],
    }
    if user.role in ("owner", "admin"):
        context["duplicates"] = merge_suggestions(contact)
    if user.is_manager:  # recorded identity checks: supervisors and up only
        from apps.media.selectors import identity_checks_of_contacts

        from .selectors import contact_ids

        context["identity_checks"] = [
            {**c, "when": parse_datetime(c["decided_at"] or c["started_at"])}
            for c in identity_checks_of_contacts(contact_ids(contact))
        ]
    template = "journey/_journey_results.html" if request.htmx else "journey/journey.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@require_POST
def merge_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge another contact (a suggestion on the journey page) into this one: its conversations,
    identities and web visits join this customer's journey."""
    user = cast(User, request.user)
    if user.role not in ("owner", "admin"):
        return render(request, "core/forbidden.html", status=403)
    keep = Contact.objects.filter(pk=pk).first()
    other = Contact.objects.filter(pk=whole_number(request.POST.get("other")) or 0).first()
    if keep is None or other is None:
        raise Http404
    try:
        do_merge_contacts(keep, other, actor=user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Merged: %(other)s is now part of this customer's journey.") % {"other": str(other)}
        )
    return redirect("journey-contact", pk=keep.pk)


# --- the widget's engagement script: `POST /widget/engage/` ----------------------------------------


@csrf_exempt
def engage(request: HttpRequest) -> HttpResponse:
    """Should this visitor be invited now (see `journey.engagement`)? Called from the business's page
    (cross-origin, `text/plain` so the browser sends it without a preflight), checked as the tracker's
    endpoint is: the key and the page's origin, the signed visitor token, a limit per visitor."""
    from apps.core.jsonsafety import loads
    from apps.core.ratelimit import check_rate
    from apps.core.tenancy import current_schema
    from apps.widget.identity import read_visitor_token
    from apps.widget.selectors import widget_key

    origin = request.headers.get("Origin", "")
    status, body, retry_after = 200, {}, None
    try:
        if request.method != "POST":
            raise ApplicationError(_("Use POST."), code="method_not_allowed", status=405)
        if len(request.body) > 16 * 1024:
            raise ValidationFailed(_("At most 16 KB."), code="too_large", status=413)
        payload = loads(request.body)
        if not isinstance(payload, dict):
            raise ValidationFailed(_("Send a JSON object."))
        wk = widget_key(payload.get("key"))
        if wk is None or not wk.allows_origin(origin):
            raise ApplicationError(_("This site may not use this widget key."), code="origin_not_allowed", status=403)
        schema = current_schema()
        visitor = read_visitor_token(payload.get("visitor"), schema, wk.pk)
        if visitor is None:
            raise ValidationFailed(_("The visitor token is missing or expired."), code="unknown_visitor")
        check_rate(schema, "engage", str(visitor["v"]), settings.ENGAGE_CHECKS_PER_MINUTE, 60)
        body = do_engage(
            queue=wk.queue,
            contact_id=int(visitor["c"]),
            visitor_id=str(visitor["v"]),
            session_id=payload.get("session"),
            facts=payload.get("facts"),
            dismiss=payload.get("dismiss"),
        )
        if body.get("invitation"):  # the buttons, in the visitor's language
            body["labels"] = {
                "title": _("An invitation from us"),
                "chat": _("Chat now"),
                "voice": _("Call me"),
                "video": _("Video call"),
                "dismiss": _("No thanks"),
            }
    except ApplicationError as exc:
        status, body = exc.status, {"error": exc.as_dict()}
        retry_after = getattr(exc, "retry_after", None)
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response
