"""Writing the interaction record (segments). Called by the actions of routing, inbox and media
inside the transaction of the change they record, with the interaction's row lock held (lock order:
offer -> interaction -> call -> agent; these functions take no lock of their own).

How an interaction moves through its segments (docs/architecture.md, "The interaction record"):

    open ──> queue ──(offer: accepted)──> handling ──> acw
              │  └─(offer: rejected / timed out / cancelled)─┐ (stays in queue)
              ├─ abandoned | flowed_out (-> next queue) | callback_requested
              handling ─(transfer)─> transfer + queue | offer to one agent -> handling (next agent)
              handling ⊃ hold (calls), conference parties have handling segments of their own
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from .models import Interaction, Segment

Kind = Segment.Kind
Outcome = Segment.Outcome


def db_now() -> datetime:
    """The transaction's timestamp: what PostgreSQL's `now()` gives the rows the routing engine
    writes in this transaction (offers), so segments written beside them order with them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def open_segment(
    interaction: Interaction,
    kind: str,
    *,
    queue_id: int | None = None,
    agent_id: int | None = None,
    at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> Segment:
    return Segment.objects.create(
        interaction_id=interaction.pk,
        kind=kind,
        started_at=at or timezone.now(),
        channel=interaction.channel,
        direction=interaction.direction,
        queue_id=queue_id,
        agent_id=agent_id,
        data=data or {},
    )


def add_segment(
    interaction: Interaction,
    kind: str,
    *,
    started_at: datetime,
    ended_at: datetime,
    outcome: str,
    queue_id: int | None = None,
    agent_id: int | None = None,
    offer_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Segment:
    """A segment that is over when it is written (an offer that ended, a transfer)."""
    return Segment.objects.create(
        interaction_id=interaction.pk,
        kind=kind,
        started_at=min(started_at, ended_at),
        ended_at=ended_at,
        outcome=outcome,
        channel=interaction.channel,
        direction=interaction.direction,
        queue_id=queue_id,
        agent_id=agent_id,
        offer_id=offer_id,
        data=data or {},
    )


def close_segments(
    interaction_id: int,
    kind: str,
    outcome: str,
    *,
    at: datetime | None = None,
    agent_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> list[Segment]:
    """End the open segments of `kind` (of one agent when given) with `outcome`. Queue segments get
    their wait, handling segments their talk and hold time (from the hold segments inside them)."""
    at = at or timezone.now()
    rows = Segment.objects.filter(interaction_id=interaction_id, kind=kind, ended_at__isnull=True)
    if agent_id is not None:
        rows = rows.filter(agent_id=agent_id)
    closed = []
    for segment in rows.order_by("pk"):
        segment.ended_at = max(at, segment.started_at)
        segment.outcome = outcome
        figures = dict(segment.data)
        if kind == Kind.QUEUE:
            figures["wait_seconds"] = round((segment.ended_at - segment.started_at).total_seconds(), 3)
        elif kind == Kind.HANDLING:
            hold = _hold_within(interaction_id, segment.started_at, segment.ended_at)
            total = (segment.ended_at - segment.started_at).total_seconds()
            figures["hold_seconds"] = round(hold, 3)
            figures["talk_seconds"] = round(max(total - hold, 0.0), 3)
        figures.update(data or {})
        segment.data = figures
        segment.save(update_fields=["ended_at", "outcome", "data"])
        closed.append(segment)
    return closed


def _hold_within(interaction_id: int, start: datetime, end: datetime) -> float:
    """Seconds the interaction was on hold between start and end (open holds count up to end)."""
    total = 0.0
    holds = Segment.objects.filter(interaction_id=interaction_id, kind=Kind.HOLD, started_at__lt=end)
    for hold in holds:
        hold_end = min(hold.ended_at or end, end)
        hold_start = max(hold.started_at, start)
        if hold_end > hold_start:
            total += (hold_end - hold_start).total_seconds()
    return total


def record_offer_end(
    interaction: Interaction,
    *,
    offer_id: int,
    agent_id: int,
    created_at: datetime,
    decided_at: datetime,
    status: str,
) -> Segment:
    """An offer rang at an agent and ended (accepted, rejected, timed out or cancelled)."""
    return add_segment(
        interaction,
        Kind.OFFER,
        started_at=created_at,
        ended_at=decided_at,
        outcome=status,
        queue_id=interaction.queue_id,
        agent_id=agent_id,
        offer_id=offer_id,
    )


def record_enqueued(interaction: Interaction, *, queue_id: int, at: datetime, previous_outcome: str) -> Segment:
    """The interaction enters `queue_id`: a queue segment still open elsewhere ends with
    `previous_outcome` (flowed_out when it moves on by overflow)."""
    close_segments(interaction.pk, Kind.QUEUE, previous_outcome, at=at, data={"to_queue": queue_id})
    return open_segment(interaction, Kind.QUEUE, queue_id=queue_id, at=at)


def record_answered(interaction: Interaction, *, agent_id: int, at: datetime) -> Segment:
    close_segments(interaction.pk, Kind.QUEUE, Outcome.ANSWERED, at=at, data={"agent": agent_id})
    return open_segment(interaction, Kind.HANDLING, queue_id=interaction.queue_id, agent_id=agent_id, at=at)


def record_transfer(
    interaction: Interaction,
    *,
    from_agent_id: int | None,
    how: str,
    at: datetime,
    to_agent_id: int | None = None,
    to_queue_id: int | None = None,
) -> Segment:
    """The handling of `from_agent_id` ends as transferred, and a transfer segment says to whom."""
    if from_agent_id is not None:
        close_segments(interaction.pk, Kind.HANDLING, Outcome.TRANSFERRED, at=at, agent_id=from_agent_id)
    return add_segment(
        interaction,
        Kind.TRANSFER,
        started_at=at,
        ended_at=at,
        outcome=how,
        queue_id=to_queue_id or interaction.queue_id,
        agent_id=from_agent_id,
        data={"from_agent": from_agent_id, "to_agent": to_agent_id, "to_queue": to_queue_id},
    )
