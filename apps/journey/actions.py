"""Writes of journey: recording web and backend events (a batch is stored whole or not at all) and
purging what is older than the tenant keeps."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import ValidationFailed
from apps.core.events import send_events_on_commit
from apps.core.tenancy import current_schema
from apps.inbox.actions import agents_group, check_attributes
from apps.inbox.models import Contact, Interaction

from .engagement import do_mark_conversions
from .models import VISIT_AGGREGATES, JourneySettings, WebEvent
from .selectors import contact_ids

MAX_BATCH_EVENTS = 100
MAX_BATCH_BYTES = 64 * 1024
MAX_PROPERTIES_BYTES = 4 * 1024
# A device's clock may run a little ahead; an event further in the future is refused.
FUTURE_SLACK = timedelta(minutes=5)
_EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")
_EVENT_FIELDS = {"name", "at", "properties"}


def announce_journey_updated(contact: Contact) -> None:
    """After commit: the agents viewing one of the contact's open conversations reload its journey."""
    schema = current_schema()
    open_ids = Interaction.objects.filter(contact_id=contact.pk).exclude(status=Interaction.Status.RESOLVED)
    groups = [agents_group(schema, pk) for pk in open_ids.values_list("pk", flat=True)[:20]]
    if groups:
        send_events_on_commit(schema, [({"type": "journey.updated", "contact_id": contact.pk}, groups)])


def _event_error(index: int, field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        _("Event %(n)d: %(message)s") % {"n": index + 1, "message": message},
        fields={f"events[{index}].{field}": [message]},
    )


def _check_properties(index: int, raw: Any) -> dict[str, Any]:
    """An event's properties: as contact attributes (flat values), 4 KB at most."""
    try:
        properties = check_attributes(raw or {})
    except ValidationFailed as exc:
        raise _event_error(index, "properties", exc.message) from None
    if len(json.dumps(properties, ensure_ascii=False).encode()) > MAX_PROPERTIES_BYTES:
        raise _event_error(index, "properties", _("properties may hold at most 4 KB."))
    return properties


def _check_name(index: int, name: Any) -> str:
    if not isinstance(name, str) or not _EVENT_NAME.match(name):
        raise _event_error(
            index, "name", _("a name is 1 to 64 letters, digits, “_”, “.”, “:” or “-”, starting with a letter.")
        )
    return name


def _check_at(index: int, raw: Any, *, now: datetime, oldest: datetime, too_old: str) -> datetime:
    """An event's time: ISO 8601 with its zone, not more than FUTURE_SLACK ahead, not before `oldest`."""
    parsed = parse_datetime(raw) if isinstance(raw, str) else None
    if parsed is None or timezone.is_naive(parsed):
        raise _event_error(index, "at", _("“at” is a time in ISO 8601 with its time zone."))
    if parsed > now + FUTURE_SLACK:
        raise _event_error(index, "at", _("“at” is in the future."))
    if parsed < oldest:
        raise _event_error(index, "at", too_old)
    return parsed


def _check_batch_size(events: Any) -> None:
    if not isinstance(events, list) or not events:
        raise ValidationFailed(_("Send at least one event."), fields={"events": [_("A non-empty list.")]})
    if len(events) > MAX_BATCH_EVENTS:
        raise ValidationFailed(
            _("At most %(n)d events per batch.") % {"n": MAX_BATCH_EVENTS},
            fields={"events": [_("At most %(n)d events.") % {"n": MAX_BATCH_EVENTS}]},
        )


def check_event_batch(payload: Any, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """A batch as the API receives it ({"events": [...]} or one event object), checked whole: the
    first thing wrong is named with the event's number and field."""
    now = now or timezone.now()
    if isinstance(payload, dict) and "events" in payload:
        if set(payload) != {"events"}:
            raise ValidationFailed(_("A batch has only “events”."), fields={"events": [_("Only “events”.")]})
        events = payload["events"]
    else:
        events = [payload]
    _check_batch_size(events)
    if len(json.dumps(events, ensure_ascii=False).encode()) > MAX_BATCH_BYTES:
        raise ValidationFailed(_("A batch may hold at most 64 KB."), fields={"events": [_("At most 64 KB.")]})
    oldest = now - timedelta(days=JourneySettings.current().web_event_retention_days)
    checked = []
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise _event_error(index, "name", _("each event is an object."))
        unknown = sorted(set(event) - _EVENT_FIELDS)
        if unknown:
            raise _event_error(index, unknown[0], _("unknown field “%(f)s”.") % {"f": unknown[0]})
        name = _check_name(index, event.get("name"))
        at = now
        if event.get("at") is not None:
            too_old = _("“at” is older than this account keeps events.")
            at = _check_at(index, event["at"], now=now, oldest=oldest, too_old=too_old)
        properties = _check_properties(index, event.get("properties"))
        checked.append({"name": name, "at": at, "properties": properties})
    return checked


def do_record_contact_events(actor: User | None, contact: Contact, payload: Any) -> list[WebEvent]:
    """Events the business's backend reports about a known customer (orders, deliveries, plan
    changes): checked whole, then stored in one statement."""
    events = check_event_batch(payload)
    while contact.merged_into_id:
        contact = Contact.objects.get(pk=contact.merged_into_id)
    with transaction.atomic():
        stored = WebEvent.objects.bulk_create(
            WebEvent(
                contact=contact,
                kind=WebEvent.Kind.EVENT,
                source=WebEvent.Source.SERVER,
                name=e["name"],
                properties=e["properties"],
                occurred_at=e["at"],
            )
            for e in events
        )
        record_audit(actor, "contact.events_recorded", contact, count=len(stored))
        # An order reported by the backend converts the invitations shown to this customer.
        do_mark_conversions(contact_ids(contact), sorted({e["name"] for e in events}))
        announce_journey_updated(contact)
    return stored


# --- the website's tracker (the widget loader) -------------------------------------------------------

# A browser sends what it recorded every few seconds; a batch is at most a few minutes old (it waits
# in the page while the visitor token is being issued), never a day.
MAX_BROWSER_EVENT_AGE = timedelta(hours=6)
_SESSION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_BROWSER_FIELDS = {
    "page": {"type", "url", "title", "referrer", "session", "at", "view"},
    "event": {"type", "name", "properties", "session", "at", "url"},
    "page_time": {"type", "view", "session", "seconds"},
}


def clean_url(raw: Any, allowed_params: list[str], *, keep_query: bool = True) -> str:
    """An http(s) address without its fragment and without the query parameters the tenant did not
    allow ("" for anything else): a page address can carry tokens, emails, search terms."""
    if not isinstance(raw, str) or len(raw) > 4000:
        return ""
    try:
        parts = urlsplit(raw)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    query = ""
    if keep_query and allowed_params:
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k in allowed_params])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))[:2000]


def check_browser_batch(events: Any, *, allowed_params: list[str], now: datetime | None = None) -> list[dict[str, Any]]:
    """What the loader sends: page views, the site's own events (CCAAS.track) and time on page.
    Pure (no database): the endpoint runs it on the event loop (`journey.asgi`)."""
    now = now or timezone.now()
    _check_batch_size(events)
    checked = []
    for index, event in enumerate(events):
        kind = event.get("type") if isinstance(event, dict) else None
        if kind not in _BROWSER_FIELDS:
            raise _event_error(index, "type", _("the type is page, event or page_time."))
        unknown = sorted(set(event) - _BROWSER_FIELDS[kind])
        if unknown:
            raise _event_error(index, unknown[0], _("unknown field “%(f)s”.") % {"f": unknown[0]})
        session = event.get("session")
        if not isinstance(session, str) or not _SESSION.match(session):
            raise _event_error(index, "session", _("a session id is 8 to 64 letters, digits, “_” or “-”."))
        view = event.get("view", "")
        if kind != "event" and (not isinstance(view, str) or not _SESSION.match(view)):
            raise _event_error(index, "view", _("a view id is 8 to 64 letters, digits, “_” or “-”."))
        if kind == "page_time":
            seconds = event.get("seconds")
            if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds <= 86_400:
                raise _event_error(index, "seconds", _("seconds is a whole number from 0 to 86,400."))
            checked.append({"type": kind, "session": session, "view": view, "seconds": seconds})
            continue
        too_old = _("“at” is too old for a browser's batch.")
        parsed = _check_at(index, event.get("at"), now=now, oldest=now - MAX_BROWSER_EVENT_AGE, too_old=too_old)
        url = clean_url(event.get("url"), allowed_params)
        if kind == "page":
            if not url:
                raise _event_error(index, "url", _("a page view needs the page's http(s) address."))
            title = event.get("title", "")
            if not isinstance(title, str):
                raise _event_error(index, "title", _("the title is text."))
            checked.append(
                {
                    "type": kind,
                    "session": session,
                    "name": "page_view",
                    "url": url,
                    "title": title[:300],
                    # Another site's address: its origin and path only.
                    "referrer": clean_url(event.get("referrer"), [], keep_query=False),
                    "properties": {"view": view},
                    "at": parsed,
                }
            )
            continue
        name = _check_name(index, event.get("name"))
        properties = _check_properties(index, event.get("properties"))
        checked.append(
            {
                "type": kind,
                "session": session,
                "name": name,
                "url": url,
                "title": "",
                "referrer": "",
                "properties": properties,
                "at": parsed,
            }
        )
    return checked


def do_save_journey_settings(
    actor: User | None, *, web_event_retention_days: int | None = None, allowed_query_params: Any = None
) -> JourneySettings:
    """Change how long web events are kept and which query parameters page addresses keep."""
    if web_event_retention_days is not None and not (
        isinstance(web_event_retention_days, int) and 1 <= web_event_retention_days <= 3650
    ):
        raise ValidationFailed(
            _("Keep web events between 1 and 3,650 days."),
            fields={"web_event_retention_days": [_("Between 1 and 3,650.")]},
        )
    if allowed_query_params is not None and (
        not isinstance(allowed_query_params, list)
        or len(allowed_query_params) > 20
        or not all(isinstance(p, str) and re.match(r"^[A-Za-z0-9_.-]{1,64}$", p) for p in allowed_query_params)
    ):
        raise ValidationFailed(
            _("Query parameters are names of letters, digits, “_”, “.” or “-”; at most 20."),
            fields={"allowed_query_params": [_("For example utm_source, utm_campaign.")]},
        )
    with transaction.atomic():
        current = JourneySettings.objects.select_for_update().order_by("pk").first() or JourneySettings()
        if web_event_retention_days is not None:
            current.web_event_retention_days = web_event_retention_days
        if allowed_query_params is not None:
            current.allowed_query_params = sorted(set(allowed_query_params))
        current.save()
        record_audit(
            actor,
            "journey.settings_saved",
            current,
            web_event_retention_days=current.web_event_retention_days,
            allowed_query_params=current.allowed_query_params,
        )
    return current


def do_rebuild_web_sessions(contact_ids: list[int] | None = None) -> int:
    """Recompute the visits (WebSession) of these contacts (every contact: None) from their events:
    after a purge cut visits in two, after events were loaded in bulk (imports, benchmarks, tests)."""
    from django.db import connection

    from .models import WebSession

    where, params = ("WHERE e.session_id <> ''", [])
    if contact_ids is not None:
        where, params = ("WHERE e.session_id <> '' AND e.contact_id = ANY(%s)", [list(contact_ids)])
    with transaction.atomic():
        scope = (
            WebSession.objects.all() if contact_ids is None else WebSession.objects.filter(contact_id__in=contact_ids)
        )
        scope.delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO journey_websession (contact_id, session_id, started_at, ended_at, pages, events,
                                                cart_value, cart_at)
                SELECT e.contact_id, e.session_id, {VISIT_AGGREGATES}
                FROM journey_webevent e {where} GROUP BY e.contact_id, e.session_id
                """,
                params,
            )
            return cursor.rowcount


def do_purge_web_events(*, now: datetime | None = None, batch: int = 10_000) -> int:
    """Delete the web events older than the tenant keeps (in batches, so a long backlog never holds
    one huge transaction). Idempotent."""
    from .models import WebSession

    cutoff = (now or timezone.now()) - timedelta(days=JourneySettings.current().web_event_retention_days)
    deleted = 0
    touched: set[int] = set()
    while True:
        rows = list(WebEvent.objects.filter(occurred_at__lt=cutoff).values_list("pk", "contact_id")[:batch])
        if not rows:
            break
        touched.update(c for _pk, c in rows if c is not None)
        deleted += WebEvent.objects.filter(pk__in=[pk for pk, _c in rows]).delete()[0]
    # Visits wholly before the cutoff go; one that straddles it is recounted from what is left.
    WebSession.objects.filter(ended_at__lt=cutoff).delete()
    straddling = list(
        WebSession.objects.filter(started_at__lt=cutoff, contact_id__in=touched).values_list("contact_id", flat=True)
    )
    if straddling:
        do_rebuild_web_sessions(sorted(set(straddling)))
    return deleted
