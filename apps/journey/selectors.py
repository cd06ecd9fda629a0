"""Reads of journey: a contact's timeline across channels, built from the interaction record
(segments), the interactions' own outcome fields and the web events; never from message text."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.analytics.selectors import summary_for as analysis_summary_for
from apps.core.errors import NotFound, ValidationFailed
from apps.inbox.models import Channel, Contact, Interaction, Segment
from apps.inbox.selectors import can_read_contact
from apps.media.models import Call, Recording

from .models import EngagementRule, Invitation, WebEvent

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


OUTCOMES = ("open", "waiting", "resolved", "abandoned", "callback", "transferred")


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


def journey_outcome(interaction: Interaction, segments: list[SegmentRow]) -> str:
    """How an interaction ended, from its record: resolved, abandoned (left while queued, never
    answered), callback (its wait ended with a callback requested, never answered: not an abandon),
    transferred (last handled after a transfer), open, waiting."""
    if interaction.status == Interaction.Status.RESOLVED:
        return "resolved"
    answered = any(s.kind == Segment.Kind.HANDLING for s in segments)
    if interaction.routing_status == Interaction.RoutingStatus.CALLBACK and not answered:
        return "callback"
    if any(s.kind == Segment.Kind.QUEUE and s.outcome == Segment.Outcome.ABANDONED for s in segments) and not answered:
        return "abandoned"
    if interaction.routing_status in (Interaction.RoutingStatus.QUEUED, Interaction.RoutingStatus.OFFERED):
        return "waiting"
    if interaction.routing_status == Interaction.RoutingStatus.ABANDONED:
        return "abandoned"
    return "open"


def _interaction_entry(interaction: Interaction, segments: list[SegmentRow], recordings: list[int]) -> dict[str, Any]:
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
        if s.agent_id and all(a["id"] != s.agent_id for a in agents):
            agents.append({"id": s.agent_id, "name": s.agent_name})
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
    """The contact's interactions matching the filters (subqueries, not joins: no DISTINCT, so the
    newest are read straight from the contact-and-time index)."""
    qs = Interaction.objects.filter(contact_id__in=contact_pks)
    if f.channels:
        qs = qs.filter(channel__in=f.channels - {WEB})
    if f.category:
        qs = qs.filter(Q(disposition__name__iexact=f.category) | Q(labels__contains=[f.category]))
    segments = Segment.objects.filter(interaction_id=OuterRef("pk"))
    if f.outcome == "resolved":
        qs = qs.filter(status=Interaction.Status.RESOLVED)
    elif f.outcome in ("open", "waiting"):
        qs = qs.exclude(status=Interaction.Status.RESOLVED).exclude(
            routing_status__in=[Interaction.RoutingStatus.ABANDONED, Interaction.RoutingStatus.CALLBACK]
        )
        waiting = Q(routing_status__in=[Interaction.RoutingStatus.QUEUED, Interaction.RoutingStatus.OFFERED])
        qs = qs.filter(waiting) if f.outcome == "waiting" else qs.exclude(waiting)
    elif f.outcome == "abandoned":
        qs = qs.filter(
            Exists(segments.filter(kind=Segment.Kind.QUEUE, outcome=Segment.Outcome.ABANDONED)),
            ~Exists(segments.filter(kind=Segment.Kind.HANDLING)),
        )
    elif f.outcome == "callback":
        qs = qs.exclude(status=Interaction.Status.RESOLVED).filter(routing_status=Interaction.RoutingStatus.CALLBACK)
    elif f.outcome == "transferred":  # whatever came after: it went through a transfer
        qs = qs.filter(Exists(segments.filter(kind=Segment.Kind.TRANSFER)))
    if f.since:
        qs = qs.filter(created_at__gte=f.since)
    if f.until:
        qs = qs.filter(created_at__lt=f.until)
    return qs


# A visit that went on after its visitor was merged into another contact has a row on each: with
# several contacts the rows are grouped by visit; with one (most contacts) each row is a visit, and the
# newest come straight from the (contact, -started_at) index instead of grouping all of them.
_VISITS_MERGED = """
    SELECT session_id, min(started_at) AS s, max(ended_at) AS e, sum(pages) AS p, sum(events) AS ev,
           (array_agg(cart_value ORDER BY cart_at DESC NULLS LAST))[1] AS cart
    FROM journey_websession WHERE contact_id = ANY(%(c)s) {where}
    GROUP BY session_id {having}
    ORDER BY s DESC, session_id DESC LIMIT %(n)s
"""
_VISITS_ONE = """
    SELECT session_id, started_at AS s, ended_at AS e, pages AS p, events AS ev, cart_value AS cart
    FROM journey_websession WHERE contact_id = %(one)s {where} {having}
    ORDER BY started_at DESC, session_id DESC LIMIT %(n)s
"""
_VISITS_SQL = """
WITH v AS ({visits})
SELECT v.session_id, v.s, v.e, v.p, v.ev, v.cart,
    (SELECT coalesce(jsonb_agg(jsonb_build_object('url', x.url, 'title', x.title, 'seconds', x.properties -> 'seconds')
                               ORDER BY x.occurred_at, x.id), '[]')
     FROM (SELECT w.id, w.url, w.title, w.properties, w.occurred_at FROM journey_webevent w
           WHERE w.contact_id = ANY(%(c)s) AND w.occurred_at BETWEEN v.s AND v.e
             AND w.session_id = v.session_id AND w.kind = 'page'
           ORDER BY w.occurred_at, w.id LIMIT 20) x),
    (SELECT coalesce(jsonb_agg(jsonb_build_object('name', y.name, 'count', y.n) ORDER BY y.n DESC, y.name), '[]')
     FROM (SELECT w.name, count(*) AS n FROM journey_webevent w
           WHERE w.contact_id = ANY(%(c)s) AND w.occurred_at BETWEEN v.s AND v.e
             AND w.session_id = v.session_id AND w.kind = 'event'
           GROUP BY w.name) y)
FROM v ORDER BY v.s DESC, v.session_id DESC
"""


def _visits(contact_pks: list[int], f: JourneyFilters, before: tuple[str, str] | None, n: int) -> list[dict[str, Any]]:
    """The newest `n` visits, from their rollup (WebSession), with their first 20 pages and event
    counts read from the contact-and-time index: one statement, whatever the contact's history."""
    from django.db import connection

    one = len(contact_pks) == 1
    start = "started_at" if one else "min(started_at)"  # a visit's start (one row, or grouped rows)
    params: dict[str, Any] = {"c": contact_pks, "n": n, "one": contact_pks[0]}
    where, older = "", ""
    if f.since:
        where += " AND ended_at >= %(since)s"
        params["since"] = f.since
    if f.until:
        where += " AND started_at < %(until)s"
        params["until"] = f.until
    if before is not None:
        at, key = before
        params["at"] = at
        if key[:1] > "s":
            older = f"{start} <= %(at)s"
        elif key[:1] < "s":
            older = f"{start} < %(at)s"
        else:
            params["key"] = key[1:]
            older = f"{start} < %(at)s OR ({start} = %(at)s AND session_id < %(key)s)"
    if one:
        visits = _VISITS_ONE.format(where=where, having=f"AND ({older})" if older else "")
    else:
        visits = _VISITS_MERGED.format(where=where, having=f"HAVING {older}" if older else "")
    with connection.cursor() as cursor:
        cursor.execute(_VISITS_SQL.format(visits=visits), params)
        rows = cursor.fetchall()
    out = []
    for session_id, start, end, pages, events, cart, page_list, event_counts in rows:
        if isinstance(page_list, str):
            page_list, event_counts = json.loads(page_list), json.loads(event_counts)
        out.append(
            {
                "type": "web_session",
                "key": f"s{session_id}",
                "at": start.isoformat(),
                "ended_at": end.isoformat(),
                "channel": WEB,
                "seconds": round((end - start).total_seconds()),
                "page_count": int(pages),
                "event_count": int(events),
                "pages": page_list,
                "events": event_counts,
                "cart_value": (int(cart) if cart is not None and float(cart).is_integer() else cart),
            }
        )
    return out


def _web_entries(
    contact_pks: list[int], f: JourneyFilters, before: tuple[str, str] | None, n: int
) -> list[dict[str, Any]]:
    """Visits and the business's backend events, newest first, `n` of each at most."""
    singles = WebEvent.objects.filter(contact_id__in=contact_pks, session_id="")
    if f.since:
        singles = singles.filter(occurred_at__gte=f.since)
    if f.until:
        singles = singles.filter(occurred_at__lt=f.until)
    if before is not None:
        singles = singles.filter(_older("occurred_at", "pk", "e", before, numeric=True))
    entries = _visits(contact_pks, f, before, n)
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


@dataclass(frozen=True)
class SegmentRow:
    """What the timeline needs of a segment (read without building model instances)."""

    interaction_id: int
    kind: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str
    data: dict[str, Any]
    agent_id: int | None
    agent_name: str

    @property
    def seconds(self) -> float | None:
        return (self.ended_at - self.started_at).total_seconds() if self.ended_at else None


def _segments_by_interaction(ids: list[int]) -> dict[int, list[SegmentRow]]:
    from django.db import connection

    by: dict[int, list[SegmentRow]] = {i: [] for i in ids}
    if not ids:
        return by
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.interaction_id, s.kind, s.started_at, s.ended_at, s.outcome, s.data, s.agent_id,
                   coalesce(nullif(u.full_name, ''), split_part(u.email, '@', 1), '')
            FROM inbox_segment s
            LEFT JOIN agents_agentprofile a ON a.id = s.agent_id
            LEFT JOIN accounts_user u ON u.id = a.user_id
            WHERE s.interaction_id = ANY(%s) ORDER BY s.started_at, s.id
            """,
            [ids],
        )
        for row in cursor.fetchall():
            data = json.loads(row[5]) if isinstance(row[5], str) else (row[5] or {})
            by[row[0]].append(SegmentRow(row[0], row[1], row[2], row[3], row[4] or "", data, row[6], row[7]))
    return by


def _recordings_by_interaction(ids: list[int]) -> dict[int, list[int]]:
    calls = dict(Call.objects.filter(interaction_id__in=ids, recorded=True).values_list("call_id", "interaction_id"))
    if not calls:
        return {}
    out: dict[int, list[int]] = {}
    for pk, call_id in Recording.objects.filter(call_id__in=list(calls)).values_list("pk", "call_id"):
        out.setdefault(calls[call_id], []).append(pk)
    return out


def invitations_by_interaction(ids: list[int]) -> dict[int, dict[str, Any]]:
    """Why each of these conversations began: the proactive invitation the customer accepted."""
    found: dict[int, dict[str, Any]] = {}
    rows = Invitation.objects.filter(interaction_id__in=ids).select_related("rule").order_by("shown_at")
    for inv in rows:
        found[inv.interaction_id] = {  # type: ignore[index]
            "rule": inv.rule.name,
            "action": inv.rule.action,
            "message": inv.rule.message,
            "facts": inv.facts,
            "shown_at": inv.shown_at.isoformat(),
        }
    return found


def engagement_stats(*, since: datetime | None = None) -> list[dict[str, Any]]:
    """Every rule with its invitations since `since` (all time: None): shown, dismissed, accepted,
    converted, and the conversions of those who accepted."""
    window = Q(invitations__shown_at__gte=since) if since else Q()
    rules = EngagementRule.objects.annotate(
        shown=Count("invitations", filter=window),
        dismissed=Count("invitations", filter=window & Q(invitations__dismissed_at__isnull=False)),
        accepted=Count("invitations", filter=window & Q(invitations__accepted_at__isnull=False)),
        converted=Count("invitations", filter=window & Q(invitations__converted_at__isnull=False)),
        accepted_converted=Count(
            "invitations",
            filter=window & Q(invitations__accepted_at__isnull=False, invitations__converted_at__isnull=False),
        ),
    ).select_related("queue")
    out = []
    for r in rules:
        out.append(
            {
                **rule_payload(r),
                "stats": {
                    "shown": r.shown,  # type: ignore[attr-defined]
                    "dismissed": r.dismissed,  # type: ignore[attr-defined]
                    "accepted": r.accepted,  # type: ignore[attr-defined]
                    "converted": r.converted,  # type: ignore[attr-defined]
                    "accepted_converted": r.accepted_converted,  # type: ignore[attr-defined]
                    "accept_rate": round(100 * r.accepted / r.shown, 1) if r.shown else None,  # type: ignore[attr-defined]
                    "conversion_rate": round(100 * r.converted / r.shown, 1) if r.shown else None,  # type: ignore[attr-defined]
                },
            }
        )
    return out


def rule_payload(r: EngagementRule) -> dict[str, Any]:
    return {
        "id": r.pk,
        "name": r.name,
        "enabled": r.enabled,
        "priority": r.priority,
        "expression": r.expression,
        "action": r.action,
        "message": r.message,
        "queue": {"id": r.queue_id, "name": r.queue.name} if r.queue else None,
        "capacity": r.capacity,
        "max_wait_seconds": r.max_wait_seconds,
        "conversion_event": r.conversion_event,
        "updated_at": r.updated_at.isoformat(),
    }


def journey_summary(
    contact: Contact, *, pks: list[int] | None = None, newest: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Unfiltered: the last contact (when, channel, intent, outcome, agent), counts by channel, the
    cases still open, web visits. `pks` (contact_ids) and `newest` (the entry of the contact's newest
    interaction) spare reading them again when the caller has them."""
    pks = pks if pks is not None else contact_ids(contact)
    entry = newest
    if entry is None:
        interactions = Interaction.objects.filter(contact_id__in=pks)
        last = interactions.select_related("disposition", "queue").order_by("-created_at", "-pk").first()
        if last is not None:
            entry = _interaction_entry(last, _segments_by_interaction([last.pk])[last.pk], [])
    last_entry = None
    if entry is not None:
        last_entry = {
            "id": entry["id"],
            "at": entry["at"],
            "channel": entry["channel"],
            "intent": entry["category"] or entry["subject"] or None,
            "outcome": entry["outcome"],
            "agent": entry["agents"][-1] if entry["agents"] else None,
        }
    # The counts in one statement: interactions by channel; open cases (a case is open while one of
    # its interactions still waits for the business: not resolved, and not a conversation the customer
    # left before anyone answered); visits; the last time on the web.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT
              (SELECT coalesce(jsonb_object_agg(channel, n), '{}') FROM (
                 SELECT channel, count(*) AS n FROM inbox_interaction WHERE contact_id = ANY(%(c)s)
                 GROUP BY channel) x),
              (SELECT count(DISTINCT case_id) FROM inbox_interaction
                 WHERE contact_id = ANY(%(c)s) AND status <> 'resolved' AND routing_status <> 'abandoned'),
              (SELECT count(DISTINCT session_id) FROM journey_websession WHERE contact_id = ANY(%(c)s)),
              greatest((SELECT max(ended_at) FROM journey_websession WHERE contact_id = ANY(%(c)s)),
                       (SELECT max(occurred_at) FROM journey_webevent
                        WHERE contact_id = ANY(%(c)s) AND session_id = ''))
            """,
            {"c": pks},
        )
        by_channel, open_cases, web_visits, last_seen = cursor.fetchone()
    if isinstance(by_channel, str):
        by_channel = json.loads(by_channel)
    return {
        "last_contact": last_entry,
        "interactions": sum(by_channel.values()),
        "by_channel": by_channel,
        "open_cases": open_cases,
        "web_visits": web_visits,
        "last_seen_on_web": last_seen.isoformat() if last_seen else None,
        "first_seen": contact.created_at.isoformat(),
    }


def journey_with_summary(contact: Contact, f: JourneyFilters) -> dict[str, Any]:
    """The summary and one page of the timeline, sharing what both read: the contact's ids, and on an
    unfiltered first page the newest interaction (the summary's last contact)."""
    pks = contact_ids(contact)
    page = contact_journey(contact, f, pks=pks)
    unfiltered = f.cursor is None and not (f.channels or f.category or f.outcome or f.since or f.until)
    newest = next((e for e in page["entries"] if e["type"] == "interaction"), None) if unfiltered else None
    return {"summary": journey_summary(contact, pks=pks, newest=newest), **page}


def contact_journey(contact: Contact, f: JourneyFilters, *, pks: list[int] | None = None) -> dict[str, Any]:
    """One page of the timeline, newest first, and the cursor of the next page (None at the end)."""
    pks = pks if pks is not None else contact_ids(contact)
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
        invitations = invitations_by_interaction(ids)
        analysed = analysis_summary_for(ids)
        for i in rows:
            entry = _interaction_entry(i, segments[i.pk], recordings.get(i.pk, []))
            entry["invitation"] = invitations.get(i.pk)
            # Interaction analytics: the customer's sentiment (overall, at the end) and the topics matched.
            found = analysed.get(i.pk)
            entry["sentiment"] = found["sentiment"] if found else None
            entry["topics"] = found["topics"] if found else []
            entries.append(entry)
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
