"""Reads of journey: a contact's timeline across channels, built from the interaction record
(segments), the interactions' own outcome fields and the web events; never from message text."""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import NotFound, ValidationFailed
from apps.inbox.models import Channel, Contact, Interaction, Segment
from apps.inbox.selectors import can_read_contact
from apps.media.models import Call, Recording

from .models import WebEvent

MAX_PAGE = 100
WEB = "web"  # the journey's own channel name for web sessions and backend events


@dataclass(frozen=True)
class JourneyFilters:
    channels: frozenset[str] = frozenset()  # empty: every channel, web included
    category: str = ""  # a disposition's name or a label
    outcome: str = ""  # resolved, open, abandoned, ... (journey_outcome)
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 25
    cursor: tuple[str, str] | None = None  # (ISO time, entry key) of the last entry already shown
    extra: dict[str, Any] = field(default_factory=dict)


OUTCOMES = ("open", "waiting", "resolved", "abandoned", "transferred")


def parse_filters(params: Any) -> JourneyFilters:
    """The journey API's query string, checked: a bad value names its parameter."""
    raw_channels = params.getlist("channel") if hasattr(params, "getlist") else [params.get("channel", "")]
    channels = frozenset(c for value in raw_channels for c in str(value).split(",") if c)
    unknown = sorted(channels - {*Channel.values, WEB})
    if unknown:
        raise ValidationFailed(
            _("Unknown channel: %(c)s.") % {"c": ", ".join(unknown)},
            fields={"channel": [_("Choose from: %(c)s.") % {"c": ", ".join([*Channel.values, WEB])}]},
        )
    outcome = str(params.get("outcome", ""))
    if outcome and outcome not in OUTCOMES:
        raise ValidationFailed(
            _("Unknown outcome: %(o)s.") % {"o": outcome[:40]},
            fields={"outcome": [_("Choose from: %(o)s.") % {"o": ", ".join(OUTCOMES)}]},
        )
    times: dict[str, datetime | None] = {}
    for name in ("since", "until"):
        raw = params.get(name)
        parsed = day = None
        try:
            if raw and len(raw) == 10:
                day = parse_date(raw)
            elif raw:
                parsed = parse_datetime(raw)
        except ValueError:
            pass
        if day is not None:  # a whole day, in UTC: `until` a day includes that day
            parsed = datetime.combine(day, time.min, tzinfo=UTC) + (
                timedelta(days=1) if name == "until" else timedelta()
            )
        if raw and (parsed is None or parsed.tzinfo is None):
            raise ValidationFailed(
                _("“%(p)s” is a time in ISO 8601 with its time zone.") % {"p": name},
                fields={name: [_("For example 2026-12-01T00:00:00Z.")]},
            )
        times[name] = parsed
    try:
        limit = int(params.get("limit", 25))
    except (TypeError, ValueError):
        limit = -1
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(
            _("“limit” is between 1 and %(n)d.") % {"n": MAX_PAGE},
            fields={"limit": [_("1 to %(n)d.") % {"n": MAX_PAGE}]},
        )
    return JourneyFilters(
        channels=channels,
        category=str(params.get("category", ""))[:80],
        outcome=outcome,
        since=times["since"],
        until=times["until"],
        limit=limit,
        cursor=_decode_cursor(params.get("cursor")),
    )


def _encode_cursor(at: datetime, key: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{key}".encode()).decode().rstrip("=")


def _decode_cursor(raw: str | None) -> tuple[str, str] | None:
    if not raw:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        at, key = text.split("|", 1)
        if parse_datetime(at) is None:
            raise ValueError(at)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(_("This cursor is not valid."), fields={"cursor": [_("Use the “next” link.")]}) from None
    return at, key


def contact_ids(contact: Contact) -> list[int]:
    """The contact and every contact merged into it (their events stay where they were recorded)."""
    ids, frontier = [contact.pk], [contact.pk]
    while frontier:
        frontier = list(Contact.objects.filter(merged_into__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


def journey_outcome(interaction: Interaction, segments: list[Segment]) -> str:
    """How an interaction ended, from its record: resolved, abandoned (left while queued, never
    answered), transferred (last handled after a transfer), open, waiting."""
    if interaction.status == Interaction.Status.RESOLVED:
        return "resolved"
    answered = any(s.kind == Segment.Kind.HANDLING for s in segments)
    if any(s.kind == Segment.Kind.QUEUE and s.outcome == Segment.Outcome.ABANDONED for s in segments) and not answered:
        return "abandoned"
    if interaction.routing_status in (Interaction.RoutingStatus.QUEUED, Interaction.RoutingStatus.OFFERED):
        return "waiting"
    if interaction.routing_status == Interaction.RoutingStatus.ABANDONED:
        return "abandoned"
    return "open"


def _interaction_entry(interaction: Interaction, segments: list[Segment], recordings: list[int]) -> dict[str, Any]:
    queued = [s for s in segments if s.kind == Segment.Kind.QUEUE]
    handled = [s for s in segments if s.kind == Segment.Kind.HANDLING]
    first_answer = min((s.started_at for s in handled), default=None)
    wait: float | None
    if queued and first_answer is not None:
        wait = (first_answer - queued[0].started_at).total_seconds()
    else:
        wait = sum(s.seconds or 0.0 for s in queued) if queued else None
    talk = sum(float(s.data.get("talk_seconds", s.seconds or 0.0)) for s in handled if s.ended_at)
    hold = sum(float(s.data.get("hold_seconds", 0.0)) for s in handled if s.ended_at)
    acw = sum(s.seconds or 0.0 for s in segments if s.kind == Segment.Kind.ACW)
    agents: list[dict[str, Any]] = []
    for s in handled:
        if s.agent_id and s.agent and all(a["id"] != s.agent_id for a in agents):
            agents.append({"id": s.agent_id, "name": s.agent.user.display_name})
    transfers = [
        {
            "at": s.started_at.isoformat(),
            "kind": s.outcome or None,
            "from_agent": s.data.get("from_agent"),
            "to_agent": s.data.get("to_agent"),
            "to_queue": s.data.get("to_queue"),
        }
        for s in segments
        if s.kind == Segment.Kind.TRANSFER
    ]
    ended = max((s.ended_at for s in segments if s.ended_at), default=None) or interaction.ended_at
    return {
        "type": "interaction",
        "key": f"i{interaction.pk:020d}",
        "id": interaction.pk,
        "at": interaction.created_at.isoformat(),
        "ended_at": ended.isoformat() if ended and interaction.status == Interaction.Status.RESOLVED else None,
        "channel": interaction.channel,
        "direction": interaction.direction,
        "subject": interaction.subject,
        "case_id": str(interaction.case_id),
        "queue": {"id": interaction.queue_id, "name": interaction.queue.name} if interaction.queue else None,
        "wait_seconds": round(wait, 1) if wait is not None else None,
        "handle_seconds": round(talk + hold + acw, 1) if handled else None,
        "talk_seconds": round(talk, 1) if handled else None,
        "hold_seconds": round(hold, 1) if handled else None,
        "agents": agents,
        "transfers": transfers,
        "transferred": bool(transfers),
        "category": interaction.disposition.name if interaction.disposition else None,
        "labels": interaction.labels,
        "outcome": journey_outcome(interaction, segments),
        "resolution_note": interaction.resolution_note,
        "csat": interaction.csat_score,
        "links": {
            "record": reverse("api-interaction-record", args=[interaction.pk]),
            "recordings": [reverse("call-recording", args=[pk]) for pk in recordings],
        },
    }


def _interactions(contact_pks: list[int], f: JourneyFilters) -> QuerySet[Interaction]:
    qs = Interaction.objects.filter(contact_id__in=contact_pks)
    media_channels = f.channels - {WEB}
    if f.channels:
        qs = qs.filter(channel__in=media_channels)
    if f.category:
        qs = qs.filter(Q(disposition__name__iexact=f.category) | Q(labels__contains=[f.category]))
    if f.outcome == "resolved":
        qs = qs.filter(status=Interaction.Status.RESOLVED)
    elif f.outcome in ("open", "waiting"):
        qs = qs.exclude(status=Interaction.Status.RESOLVED).exclude(routing_status=Interaction.RoutingStatus.ABANDONED)
        waiting = Q(routing_status__in=[Interaction.RoutingStatus.QUEUED, Interaction.RoutingStatus.OFFERED])
        qs = qs.filter(waiting) if f.outcome == "waiting" else qs.exclude(waiting)
    elif f.outcome == "abandoned":
        qs = qs.filter(segments__kind=Segment.Kind.QUEUE, segments__outcome=Segment.Outcome.ABANDONED).exclude(
            segments__kind=Segment.Kind.HANDLING
        )
    if f.outcome == "transferred":  # whatever came after: it went through a transfer
        qs = qs.filter(segments__kind=Segment.Kind.TRANSFER)
    if f.since:
        qs = qs.filter(created_at__gte=f.since)
    if f.until:
        qs = qs.filter(created_at__lt=f.until)
    return qs.distinct()


def _sessions(contact_pks: list[int], f: JourneyFilters) -> QuerySet[Any]:
    """Web visits (one row per session) and backend events (one row each, keyed by id)."""
    qs = WebEvent.objects.filter(contact_id__in=contact_pks)
    if f.since:
        qs = qs.filter(occurred_at__gte=f.since)
    if f.until:
        qs = qs.filter(occurred_at__lt=f.until)
    return qs


def _web_entries(
    contact_pks: list[int], f: JourneyFilters, before: tuple[str, str] | None, n: int
) -> list[dict[str, Any]]:
    events = _sessions(contact_pks, f)
    visits = (
        events.exclude(session_id="")
        .values("session_id")
        .annotate(
            start=Min("occurred_at"),
            end=Max("occurred_at"),
            pages=Count("pk", filter=Q(kind=WebEvent.Kind.PAGE)),
            events=Count("pk", filter=Q(kind=WebEvent.Kind.EVENT)),
        )
    )
    singles = events.filter(session_id="")
    if before is not None:
        visits = visits.filter(_older("start", "session_id", "s", before, numeric=False))
        singles = singles.filter(_older("occurred_at", "pk", "e", before, numeric=True))
    entries: list[dict[str, Any]] = []
    visit_rows = list(visits.order_by("-start", "-session_id")[:n])
    details = _visit_details(contact_pks, [v["session_id"] for v in visit_rows])
    for v in visit_rows:
        d = details.get(v["session_id"], {})
        entries.append(
            {
                "type": "web_session",
                "key": f"s{v['session_id']}",
                "at": v["start"].isoformat(),
                "ended_at": v["end"].isoformat(),
                "channel": WEB,
                "seconds": round((v["end"] - v["start"]).total_seconds()),
                "page_count": v["pages"],
                "event_count": v["events"],
                "pages": d.get("pages", []),
                "events": d.get("events", []),
                "cart_value": d.get("cart_value"),
            }
        )
    for e in singles.order_by("-occurred_at", "-pk")[:n]:
        entries.append(
            {
                "type": "event",
                "key": f"e{e.pk:020d}",
                "at": e.occurred_at.isoformat(),
                "channel": WEB,
                "name": e.name,
                "source": e.source,
                "properties": e.properties,
            }
        )
    return entries


def _older(time_field: str, key_field: str, prefix: str, cursor: tuple[str, str], *, numeric: bool) -> Q:
    """Entries after the cursor in the timeline's order (time, then key, both descending): older,
    or as old with a smaller key. Keys are "<prefix><id>"; entries of another prefix at the same
    time come before or after as their prefixes compare."""
    at, key = cursor
    older = Q(**{f"{time_field}__lt": at})
    if key[:1] > prefix:
        return older | Q(**{time_field: at})
    if key[:1] < prefix:
        return older
    rest = key[1:]
    if numeric:
        try:
            value: Any = int(rest)
        except ValueError:
            return older
    else:
        value = rest
    return older | Q(**{time_field: at, f"{key_field}__lt": value})


def _visit_details(contact_pks: list[int], session_ids: list[str]) -> dict[str, dict[str, Any]]:
    """For the visits on one page: the pages (first 20, in order), event names with counts, and the
    last cart value the site reported (an event named `cart` with a numeric `value`)."""
    if not session_ids:
        return {}
    out: dict[str, dict[str, Any]] = {}
    names: dict[str, Counter[str]] = {}
    rows = (
        WebEvent.objects.filter(contact_id__in=contact_pks, session_id__in=session_ids)
        .order_by("occurred_at", "pk")
        .values_list("session_id", "kind", "name", "url", "title", "properties")
    )
    for session_id, kind, name, url, title, props in rows:
        d = out.setdefault(session_id, {"pages": [], "events": [], "cart_value": None})
        if kind == WebEvent.Kind.PAGE:
            if len(d["pages"]) < 20:
                d["pages"].append({"url": url, "title": title, "seconds": props.get("seconds")})
        else:
            names.setdefault(session_id, Counter())[name] += 1
            value = props.get("value")
            if name == "cart" and isinstance(value, int | float) and not isinstance(value, bool):
                d["cart_value"] = value
    for session_id, counter in names.items():
        out[session_id]["events"] = [{"name": n, "count": c} for n, c in counter.most_common()]
    return out


def _segments_by_interaction(ids: list[int]) -> dict[int, list[Segment]]:
    by: dict[int, list[Segment]] = {i: [] for i in ids}
    for s in Segment.objects.filter(interaction_id__in=ids).select_related("agent__user").order_by("started_at", "pk"):
        by[s.interaction_id].append(s)
    return by


def _recordings_by_interaction(ids: list[int]) -> dict[int, list[int]]:
    calls = dict(Call.objects.filter(interaction_id__in=ids, recorded=True).values_list("call_id", "interaction_id"))
    out: dict[int, list[int]] = {}
    for pk, call_id in Recording.objects.filter(call_id__in=list(calls)).values_list("pk", "call_id"):
        out.setdefault(calls[call_id], []).append(pk)
    return out


def journey_summary(contact: Contact) -> dict[str, Any]:
    """Unfiltered: the last contact (when, channel, intent, outcome, agent), counts by channel, the
    cases still open, web visits."""
    pks = contact_ids(contact)
    interactions = Interaction.objects.filter(contact_id__in=pks)
    last = interactions.select_related("disposition", "queue").order_by("-created_at", "-pk").first()
    last_entry = None
    if last is not None:
        segments = _segments_by_interaction([last.pk])[last.pk]
        entry = _interaction_entry(last, segments, [])
        last_entry = {
            "id": last.pk,
            "at": entry["at"],
            "channel": last.channel,
            "intent": entry["category"] or last.subject or None,
            "outcome": entry["outcome"],
            "agent": entry["agents"][-1] if entry["agents"] else None,
        }
    by_channel = dict(interactions.values_list("channel").annotate(n=Count("pk")).order_by())
    # A case is open while one of its interactions still waits for the business: not resolved, and
    # not a conversation the customer left before anyone answered.
    open_cases = (
        interactions.exclude(status=Interaction.Status.RESOLVED)
        .exclude(routing_status=Interaction.RoutingStatus.ABANDONED)
        .values("case_id")
        .distinct()
        .count()
    )
    web = WebEvent.objects.filter(contact_id__in=pks)
    return {
        "last_contact": last_entry,
        "interactions": sum(by_channel.values()),
        "by_channel": by_channel,
        "open_cases": open_cases,
        "web_visits": web.exclude(session_id="").values("session_id").distinct().count(),
        "last_seen_on_web": (web.aggregate(t=Max("occurred_at"))["t"] or None),
        "first_seen": contact.created_at.isoformat(),
    }


def contact_journey(contact: Contact, f: JourneyFilters) -> dict[str, Any]:
    """One page of the timeline, newest first, and the cursor of the next page (None at the end)."""
    pks = contact_ids(contact)
    n = f.limit + 1
    entries: list[dict[str, Any]] = []
    want_interactions = not f.channels or bool(f.channels - {WEB})
    want_web = (not f.channels or WEB in f.channels) and not f.category and not f.outcome
    if want_interactions:
        qs = _interactions(pks, f)
        if f.cursor is not None:
            qs = qs.filter(_older("created_at", "pk", "i", f.cursor, numeric=True))
        rows = list(qs.select_related("disposition", "queue").order_by("-created_at", "-pk")[:n])
        ids = [i.pk for i in rows]
        segments, recordings = _segments_by_interaction(ids), _recordings_by_interaction(ids)
        entries += [_interaction_entry(i, segments[i.pk], recordings.get(i.pk, [])) for i in rows]
    if want_web:
        entries += _web_entries(pks, f, f.cursor, n)
    entries.sort(key=lambda e: (e["at"], e["key"]), reverse=True)
    page, more = entries[: f.limit], len(entries) > f.limit
    cases: dict[str, list[int]] = {}
    for e in page:
        if e["type"] == "interaction":
            cases.setdefault(e["case_id"], []).append(e["id"])
    last = page[-1] if page else None
    return {
        "entries": page,
        "cases": {k: v for k, v in cases.items() if len(v) > 1},
        "next_cursor": _encode_cursor(parse_datetime(last["at"]), last["key"]) if more and last else None,  # type: ignore[arg-type]
    }


def readable_contact(user: User, pk: int) -> Contact:
    """The contact, if `user` may read its journey (agents: contacts they work with); a merged
    contact answers as the one it was merged into."""
    contact = get_object_or_404(Contact, pk=pk)
    while contact.merged_into_id:
        contact = Contact.objects.get(pk=contact.merged_into_id)
    if not can_read_contact(user, contact):
        raise NotFound(_("No such contact."))
    return contact
