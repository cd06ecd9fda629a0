"""Reads of the routing app: open or closed, positions, wait estimates, live queue status."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F
from django.utils import timezone

from apps.agents.models import CHANNELS, AgentState
from apps.core.tenancy import current_schema
from apps.inbox.models import Interaction

from .hours import is_open
from .models import Queue

DEFAULT_HANDLE_SECONDS = {"voice": 240, "video": 300, "chat": 420, "email": 900}


def queue_is_open(queue: Queue, at: datetime) -> bool:
    hours = queue.business_hours
    if hours is None:
        return True
    holidays = set(hours.holidays.values_list("date", flat=True))
    return is_open(hours.weekly, hours.timezone, holidays, at)


def routing_allowed() -> bool:
    """False while the tenant is suspended (unpaid): nothing new is routed, nothing is deleted."""
    from apps.tenants.models import Tenant

    from .engine import _cached

    def load() -> bool:
        status = Tenant.objects.filter(schema_name=current_schema()).values_list("status", flat=True).first()
        return status != Tenant.Status.SUSPENDED

    allowed: bool = _cached("routing_allowed", 0, load)
    return allowed


def queue_position(interaction: Interaction) -> int | None:
    """1-based place in its queue, in the order the engine serves it; None when not waiting."""
    if interaction.routing_status != Interaction.RoutingStatus.QUEUED or interaction.queue_id is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH w AS (
                SELECT i.id, i.priority + q.priority_aging_per_minute * EXTRACT(EPOCH FROM (now() - i.enqueued_at)) / 60
                       AS eff, i.enqueued_at FROM inbox_interaction i JOIN routing_queue q ON q.id = i.queue_id
                WHERE i.queue_id = %s AND i.routing_status = 'queued'
            )
            SELECT count(*) + 1 FROM w, (SELECT eff, enqueued_at FROM w WHERE id = %s) me
            WHERE w.eff > me.eff OR (w.eff = me.eff AND (w.enqueued_at, w.id) < (me.enqueued_at, %s))
            """,
            [interaction.queue_id, interaction.pk, interaction.pk],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def average_handle_seconds(queue: Queue, channel: str) -> float:
    recent = Interaction.objects.filter(
        queue=queue, channel=channel, routing_status="completed", assigned_at__isnull=False, ended_at__isnull=False
    ).order_by("-ended_at")[:100]
    value = Interaction.objects.filter(pk__in=recent.values("pk")).aggregate(
        avg=Avg(ExpressionWrapper(F("ended_at") - F("assigned_at"), output_field=DurationField()))
    )["avg"]
    return value.total_seconds() if value else float(DEFAULT_HANDLE_SECONDS.get(channel, 300))


def staffed_agents(queue: Queue) -> int:
    return queue.members.exclude(state=AgentState.OFFLINE).count()


def available_agents(queue: Queue, channel: str) -> int:
    """Agents of the queue who are available and could take one more of `channel` now (a call needs
    an agent on no other call)."""
    count = 0
    for member in queue.members.filter(state=AgentState.AVAILABLE):
        if member.load(channel) >= member.capacity(channel):
            continue
        if channel in {"voice", "video"} and member.load("voice") + member.load("video") > 0:
            continue
        count += 1
    return count


def waiting_count(queue: Queue) -> int:
    return Interaction.objects.filter(queue=queue, routing_status=Interaction.RoutingStatus.QUEUED).count()


def estimated_wait_seconds(queue: Queue, position: int, channel: str) -> int:
    """Simple and honest: the work ahead, shared by the agents signed in to the queue."""
    agents = staffed_agents(queue)
    if agents == 0:
        return -1  # nobody is there to answer; the widget says so instead of a number
    rounds = math.ceil(position / agents)
    return int(rounds * average_handle_seconds(queue, channel)) if position > agents else 0


def queue_status(queue: Queue) -> dict[str, Any]:
    now = timezone.now()
    waiting = Interaction.objects.filter(queue=queue, routing_status=Interaction.RoutingStatus.QUEUED)
    oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    agents: dict[str, int] = {s: 0 for s in (*AgentState.values, "busy")}
    for member in queue.members.all():
        full = (
            all(member.load(c) >= member.capacity(c) for c in CHANNELS)
            or (member.load("voice") + member.load("video")) > 0
        )
        state = "busy" if member.state == AgentState.AVAILABLE and full else member.state
        agents[state] += 1
    since = now - timedelta(hours=24)
    answered = Interaction.objects.filter(queue=queue, assigned_at__gte=since)
    within = answered.filter(assigned_at__lte=F("enqueued_at") + timedelta(seconds=queue.sla_seconds)).count()
    total = answered.count()
    count = waiting.count()
    return {
        "queue": {"id": queue.pk, "name": queue.name},
        "open": queue_is_open(queue, now),
        "waiting": count,
        "longest_wait_seconds": int((now - oldest).total_seconds()) if oldest else 0,
        "agents": agents,
        "ewt_seconds": estimated_wait_seconds(queue, count + 1, "chat") if count else 0,
        "service_level": {
            "target_percent": queue.sla_percent,
            "target_seconds": queue.sla_seconds,
            "answered_24h": total,
            "percent_24h": round(100 * within / total, 1) if total else None,
        },
        "by_channel": dict(waiting.values_list("channel").annotate(n=Count("id")).values_list("channel", "n")),
    }
