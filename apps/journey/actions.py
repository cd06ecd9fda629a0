"""Writes of journey: recording web and backend events (a batch is stored whole or not at all) and
purging what is older than the tenant keeps."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import ValidationFailed
from apps.inbox.actions import check_attributes
from apps.inbox.models import Contact

from .models import JourneySettings, WebEvent

MAX_BATCH_EVENTS = 100
MAX_BATCH_BYTES = 64 * 1024
MAX_PROPERTIES_BYTES = 4 * 1024
# A device's clock may run a little ahead; an event further in the future is refused.
FUTURE_SLACK = timedelta(minutes=5)
_EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")
_EVENT_FIELDS = {"name", "at", "properties"}


def _event_error(index: int, field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        _("Event %(n)d: %(message)s") % {"n": index + 1, "message": message},
        fields={f"events[{index}].{field}": [message]},
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
    if not isinstance(events, list) or not events:
        raise ValidationFailed(_("Send at least one event."), fields={"events": [_("A non-empty list.")]})
    if len(events) > MAX_BATCH_EVENTS:
        raise ValidationFailed(
            _("At most %(n)d events per batch.") % {"n": MAX_BATCH_EVENTS},
            fields={"events": [_("At most %(n)d events.") % {"n": MAX_BATCH_EVENTS}]},
        )
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
        name = event.get("name")
        if not isinstance(name, str) or not _EVENT_NAME.match(name):
            raise _event_error(
                index, "name", _("a name is 1 to 64 letters, digits, “_”, “.”, “:” or “-”, starting with a letter.")
            )
        at = now
        if event.get("at") is not None:
            parsed = parse_datetime(event["at"]) if isinstance(event["at"], str) else None
            if parsed is None or timezone.is_naive(parsed):
                raise _event_error(index, "at", _("“at” is a time in ISO 8601 with its time zone."))
            if parsed > now + FUTURE_SLACK:
                raise _event_error(index, "at", _("“at” is in the future."))
            if parsed < oldest:
                raise _event_error(index, "at", _("“at” is older than this account keeps events."))
            at = parsed
        properties = event.get("properties") or {}
        try:
            properties = check_attributes(properties)
        except ValidationFailed as exc:
            raise _event_error(index, "properties", exc.message) from None
        if len(json.dumps(properties, ensure_ascii=False).encode()) > MAX_PROPERTIES_BYTES:
            raise _event_error(index, "properties", _("properties may hold at most 4 KB."))
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
    return stored


def do_save_journey_settings(actor: User | None, *, web_event_retention_days: int) -> JourneySettings:
    if not 1 <= web_event_retention_days <= 3650:
        raise ValidationFailed(
            _("Keep web events between 1 and 3,650 days."),
            fields={"web_event_retention_days": [_("Between 1 and 3,650.")]},
        )
    with transaction.atomic():
        current = JourneySettings.objects.select_for_update().order_by("pk").first() or JourneySettings()
        current.web_event_retention_days = web_event_retention_days
        current.save()
        record_audit(actor, "journey.settings_saved", current, web_event_retention_days=web_event_retention_days)
    return current


def do_purge_web_events(*, now: datetime | None = None, batch: int = 10_000) -> int:
    """Delete the web events older than the tenant keeps (in batches, so a long backlog never holds
    one huge transaction). Idempotent."""
    cutoff = (now or timezone.now()) - timedelta(days=JourneySettings.current().web_event_retention_days)
    deleted = 0
    while True:
        ids = list(WebEvent.objects.filter(occurred_at__lt=cutoff).values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += WebEvent.objects.filter(pk__in=ids).delete()[0]
