"""Writes of queue configuration: a queue's fields, members and routing steps. Each is one
transaction that writes an audit row (apps.accounts.audit) with the acting user; the cached plans of
this process are dropped after commit (other processes wait out the plan TTL)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.agents.models import AgentProfile

from . import engine
from .models import Queue, RoutingStep


def _steps_data(queue: Queue) -> list[dict[str, Any]]:
    return [{"expression": s.expression, "duration_seconds": s.duration_seconds} for s in queue.steps.order_by("order")]


def _save(
    queue: Queue,
    *,
    steps: list[dict[str, Any]] | None,
    members: list[AgentProfile] | None,
    actor: User | None,
    verb: str,
    changed: list[str],
) -> Queue:
    """Caller is inside the action's transaction."""
    if members is not None:
        queue.members.set(members)
    if steps is not None:
        queue.steps.all().delete()
        RoutingStep.objects.bulk_create(
            RoutingStep(queue=queue, order=n, expression=s["expression"], duration_seconds=s.get("duration_seconds"))
            for n, s in enumerate(steps)
        )
    data: dict[str, Any] = {"fields": sorted(changed)}
    if steps is not None:
        data["steps"] = _steps_data(queue)
    if members is not None:
        data["members"] = sorted(m.pk for m in members)
    record_audit(actor, verb, queue, **data)
    transaction.on_commit(engine.forget_cached_plans)
    return queue


def do_create_queue(
    fields: dict[str, Any],
    *,
    steps: list[dict[str, Any]] | None = None,
    members: list[AgentProfile] | None = None,
    actor: User | None,
) -> Queue:
    """A new queue with its members and steps (expressions already checked: apis.StepSerializer)."""
    with transaction.atomic():
        queue = Queue.objects.create(**fields)
        return _save(queue, steps=steps, members=members, actor=actor, verb="queue.created", changed=list(fields))


def do_update_queue(
    queue: Queue,
    fields: dict[str, Any],
    *,
    steps: list[dict[str, Any]] | None = None,
    members: list[AgentProfile] | None = None,
    actor: User | None,
) -> Queue:
    """Change the given fields; `steps` / `members` None leaves them as they are."""
    with transaction.atomic():
        queue = Queue.objects.select_for_update(of=("self",)).get(pk=queue.pk)
        for name, value in fields.items():
            setattr(queue, name, value)
        if fields:
            queue.save(update_fields=list(fields))
        return _save(queue, steps=steps, members=members, actor=actor, verb="queue.updated", changed=list(fields))


def do_record_queue_edited(queue: Queue, *, actor: User | None) -> None:
    """The admin site saved the queue and its step rows itself (inline formsets): write the audit row
    and drop cached plans, as the API's actions do."""
    with transaction.atomic():
        record_audit(actor, "queue.updated", queue, fields=["admin"], steps=_steps_data(queue))
        transaction.on_commit(engine.forget_cached_plans)
