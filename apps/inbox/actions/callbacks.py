"""Callbacks: the customer leaves a number and keeps their place in the queue.

A callback becomes a voice interaction (outbound, subject "Callback", the number in its attributes as
`callback_phone`) opened through `do_open_interaction` and enqueued with the callback's place (the
enqueue time of the conversation it came from, or of the request), with no priority jump; the routing
engine offers it like any other. When an agent accepts it (the `interaction.assigned` domain event),
the callback is dialling and a callback segment opens; the agent dials the number and records the
result: connected, or no answer (a retry after the delay, up to the maximum attempts, then failed).

Lock order: callback -> (interaction, through routing's actions). Timers (kind `callback`) fire a
scheduled callback or the next attempt (`do_callback_due`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.agents.models import Channel
from apps.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from apps.core.events import send_event_on_commit
from apps.core.hooks import domain_event_on_commit
from apps.core.tenancy import current_schema
from apps.core.timers import clear_timer_on_commit, set_timer_on_commit
from apps.routing.actions import QueueClosed, do_abandon_interaction, do_complete_interaction, do_enqueue_interaction
from apps.routing.models import Queue
from apps.routing.selectors import queue_is_open

from .. import record
from ..models import Callback, Contact, Interaction, Segment
from .contacts import check_phone
from .messages import interaction_group
from .opening import do_open_interaction

TIMER = "callback"  # a scheduled callback is due, or its next attempt
SUBJECT = "Callback"
State = Callback.State


def _defaults() -> tuple[int, int]:
    return (
        int(getattr(settings, "CALLBACK_MAX_ATTEMPTS", 3)),
        int(getattr(settings, "CALLBACK_RETRY_SECONDS", 300)),
    )


def _lock_phone_queue(phone: str, queue_id: int) -> None:
    """Serialise requests for one number and queue (the unique index is the backstop)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s), %s)", [f"{current_schema()}:callback:{phone}", queue_id]
        )


def _announce(callback: Callback) -> None:
    schema = current_schema()
    groups = [interaction_group(schema, i) for i in (callback.source_interaction_id, callback.interaction_id) if i]
    if groups:
        from ..selectors import callback_position

        event = {
            "id": callback.pk,
            "state": callback.state,
            "position": callback_position(callback),
            "attempts": callback.attempts,
            "next_attempt_at": callback.next_attempt_at.isoformat() if callback.next_attempt_at else None,
        }
        send_event_on_commit(schema, {"type": "callback.updated", "callback": event}, groups)


def do_request_callback(
    *,
    queue: Queue,
    phone: str = "",
    contact: Contact | None = None,
    scheduled_at: datetime | None = None,
    source_interaction: Interaction | None = None,
    actor: User | None = None,
) -> tuple[Callback, bool]:
    """Ask for a callback. Returns (callback, created): an active callback of the same number and
    queue is returned as it is. Raises ValidationFailed (bad number, no number, a time in the past or
    outside the queue's hours) or QueueClosed (no time given and the queue is closed), writing nothing."""
    number = check_phone(phone)
    if not number and contact is not None:
        number = contact.phone
    if not number:
        raise ValidationFailed(
            _("Give the phone number to call, in the international format (e.g. +4930123456)."),
            fields={"phone": [_("A phone number is required (or a contact who has one).")]},
        )
    now = timezone.now()
    if scheduled_at is not None:
        if scheduled_at <= now:
            raise ValidationFailed(
                _("The time for the callback has already passed."),
                fields={"scheduled_at": [_("Choose a time in the future.")]},
            )
        if not queue_is_open(queue, scheduled_at):
            raise ValidationFailed(
                _("%(q)s is closed at that time: choose a time within its business hours.") % {"q": queue.name},
                fields={"scheduled_at": [_("Outside the queue's business hours.")]},
            )
    if source_interaction is not None and contact is None:
        contact = source_interaction.contact
    max_attempts, retry = _defaults()
    with transaction.atomic():
        _lock_phone_queue(number, queue.pk)
        existing = Callback.objects.filter(phone=number, queue=queue, state__in=Callback.ACTIVE_STATES).first()
        if existing is not None:
            return existing, False
        place, priority = now, 0
        if source_interaction is not None and source_interaction.queue_id == queue.pk:
            # It keeps the place of the conversation that overflowed, and its priority: no jump.
            place, priority = source_interaction.enqueued_at, source_interaction.priority
        if scheduled_at is not None:
            place = scheduled_at
        callback = Callback.objects.create(
            phone=number,
            contact=contact,
            queue=queue,
            source_interaction=source_interaction,
            scheduled_at=scheduled_at,
            place_at=place,
            priority=priority,
            max_attempts=max_attempts,
            retry_delay_seconds=retry,
        )
        record_audit(
            actor, "callback.requested", callback, phone=number, queue=queue.pk, scheduled_at=str(scheduled_at or "")
        )
        if scheduled_at is None:
            try:
                _enqueue(callback)
            except QueueClosed:
                # Nothing is left behind (this transaction rolls back).
                raise ValidationFailed(
                    _("%(q)s is closed now: choose a time within its business hours.") % {"q": queue.name},
                    fields={"scheduled_at": [_("The queue is closed now; give a time when it is open.")]},
                ) from None
        else:
            callback.next_attempt_at = scheduled_at
            callback.save(update_fields=["next_attempt_at"])
            set_timer_on_commit(current_schema(), TIMER, callback.pk, scheduled_at)
        _announce(callback)
    return callback, True


def _enqueue(callback: Callback, *, allow_closed: bool = False) -> None:
    """Put the callback's interaction in its queue, with the callback's place. Inside a transaction,
    the callback locked."""
    attributes: dict[str, Any] = {"callback_phone": callback.phone, "callback_id": callback.pk}
    if callback.interaction_id is None:
        interaction = do_open_interaction(
            channel=Channel.VOICE,
            queue=callback.queue,
            contact=callback.contact,
            priority=callback.priority,
            attributes=attributes,
            subject=SUBJECT,
            direction=Interaction.Direction.OUTBOUND,
            case_id=callback.source_interaction.case_id if callback.source_interaction else None,
            allow_closed=allow_closed,
        )
        callback.interaction = interaction
    else:
        interaction = Interaction.objects.select_for_update(of=("self",)).get(pk=callback.interaction_id)
        do_enqueue_interaction(
            channel=Channel.VOICE,
            queue=callback.queue,
            priority=callback.priority,
            attributes=attributes,
            subject=SUBJECT,
            interaction=interaction,
            allow_closed=True,
        )
    # Its place: routing decides after commit, and orders by this.
    Interaction.objects.filter(pk=interaction.pk).update(
        enqueued_at=callback.place_at, steps_start_at=callback.place_at
    )
    callback.state = State.QUEUED
    callback.next_attempt_at = None
    callback.save(update_fields=["interaction", "state", "next_attempt_at"])


def _lock(callback_id: int) -> Callback:
    try:
        return Callback.objects.select_for_update(of=("self",)).select_related("queue").get(pk=callback_id)
    except Callback.DoesNotExist:
        raise NotFound(_("No such callback.")) from None


def do_callback_due(callback_id: int) -> None:
    """Timer: a scheduled callback's time came, or its next attempt. Idempotent: only a callback that
    still waits for its time is queued (one timer per callback; cancelling drops it). The timer's
    due time is the clock (tests drive it with `fire_due(now=...)`)."""
    with transaction.atomic():
        callback = (
            Callback.objects.select_for_update(of=("self",)).select_related("queue").filter(pk=callback_id).first()
        )
        if callback is None or callback.state != State.REQUESTED:
            return
        _enqueue(callback, allow_closed=True)
        record_audit(None, "callback.queued", callback, attempt=callback.attempts + 1)
        _announce(callback)


def on_interaction_assigned(interaction_id: int) -> None:
    """An agent accepted a callback's interaction: the callback is dialling (agent first). One indexed
    read for any other interaction."""
    if not Callback.objects.filter(interaction_id=interaction_id, state=State.QUEUED).exists():
        return
    with transaction.atomic():
        callback = Callback.objects.select_for_update(of=("self",)).filter(interaction_id=interaction_id).first()
        if callback is None or callback.state != State.QUEUED:
            return
        interaction = Interaction.objects.get(pk=interaction_id)
        if interaction.routing_status != Interaction.RoutingStatus.ASSIGNED:
            return
        callback.state = State.DIALLING
        callback.save(update_fields=["state"])
        record.open_segment(
            interaction,
            Segment.Kind.CALLBACK,
            queue_id=callback.queue_id,
            agent_id=interaction.assigned_agent_id,
            data={"callback_id": callback.pk, "phone": callback.phone, "attempt": callback.attempts + 1},
        )
        record_audit(interaction.assignee, "callback.dialling", callback, attempt=callback.attempts + 1)
        _announce(callback)


def on_interaction_resolved(interaction_id: int) -> None:
    """The callback's conversation was resolved while the callback was still active (the agent closed it
    without saying how the call went, or a supervisor closed it): no callback stays active for ever,
    blocking the next one for that number. Dialling: counted connected (the agent had the customer);
    otherwise cancelled."""
    if not Callback.objects.filter(interaction_id=interaction_id, state__in=Callback.ACTIVE_STATES).exists():
        return
    with transaction.atomic():
        callback = Callback.objects.select_for_update(of=("self",)).get(interaction_id=interaction_id)
        if callback.state not in Callback.ACTIVE_STATES:
            return
        now = timezone.now()
        if callback.state == State.DIALLING:
            callback.attempts += 1
            callback.state = State.CONNECTED
            record.close_segments(interaction_id, Segment.Kind.CALLBACK, Segment.Outcome.CONNECTED, at=now)
        else:
            callback.state = State.CANCELLED
        callback.ended_at, callback.next_attempt_at = now, None
        callback.save(update_fields=["attempts", "state", "ended_at", "next_attempt_at"])
        clear_timer_on_commit(current_schema(), TIMER, callback.pk)
        record_audit(None, "callback.closed_with_conversation", callback, state=callback.state)
        _announce(callback)


RESULTS = ("connected", "no_answer")


def do_record_callback_result(callback_id: int, user: User, result: str) -> Callback:
    """The agent dialled the customer: `connected` (they talk; the interaction stays with the agent,
    resolved as any other), or `no_answer` (the agent is free again; a retry after the delay, up to
    the maximum attempts, then failed)."""
    if result not in RESULTS:
        raise ValidationFailed(
            _("Unknown result."), fields={"result": [_("Choose one of: %(r)s.") % {"r": ", ".join(RESULTS)}]}
        )
    with transaction.atomic():
        callback = _lock(callback_id)
        interaction = callback.interaction
        if interaction is None or interaction.assignee_id != user.pk:
            raise PermissionDenied(_("This callback is not yours to dial."))
        if callback.state == State.QUEUED and interaction.routing_status == Interaction.RoutingStatus.ASSIGNED:
            on_interaction_assigned(interaction.pk)  # the accept's event has not run yet
            callback.refresh_from_db()
        if callback.state != State.DIALLING:
            raise ApplicationError(
                _("This callback is not being dialled (%(s)s).") % {"s": callback.get_state_display()},
                code="callback_not_dialling",
                status=409,
            )
        now = timezone.now()
        callback.attempts += 1
        if result == "connected":
            callback.state, callback.ended_at = State.CONNECTED, now
            record.close_segments(interaction.pk, Segment.Kind.CALLBACK, Segment.Outcome.CONNECTED, at=now)
        else:
            record.close_segments(interaction.pk, Segment.Kind.CALLBACK, Segment.Outcome.NO_ANSWER, at=now)
            do_complete_interaction(interaction.pk)
            if callback.attempts >= callback.max_attempts:
                callback.state, callback.ended_at = State.FAILED, now
                Interaction.objects.filter(pk=interaction.pk).update(
                    status=Interaction.Status.RESOLVED, resolved_at=now
                )
                domain_event_on_commit("interaction.resolved", interaction_id=interaction.pk)
            else:
                callback.state = State.REQUESTED
                callback.next_attempt_at = now + timedelta(seconds=callback.retry_delay_seconds)
                set_timer_on_commit(current_schema(), TIMER, callback.pk, callback.next_attempt_at)
        callback.save(update_fields=["attempts", "state", "ended_at", "next_attempt_at"])
        record_audit(user, f"callback.{result}", callback, attempt=callback.attempts, state=callback.state)
        _announce(callback)
    return callback


def do_cancel_callback(callback_id: int, actor: User | None) -> Callback:
    """The customer (or the business) withdraws a callback that is not being dialled yet."""
    with transaction.atomic():
        callback = _lock(callback_id)
        if callback.state in (State.CONNECTED, State.FAILED, State.CANCELLED):
            return callback  # over already: idempotent
        if callback.state == State.DIALLING:
            raise ApplicationError(
                _("An agent is calling this number now; it can no longer be cancelled."),
                code="callback_dialling",
                status=409,
            )
        now = timezone.now()
        if callback.interaction_id is not None:
            do_abandon_interaction(callback.interaction_id)  # out of the queue; a ringing offer stops
            interaction = Interaction.objects.get(pk=callback.interaction_id)
            record.add_segment(
                interaction,
                Segment.Kind.CALLBACK,
                started_at=now,
                ended_at=now,
                outcome=Segment.Outcome.CANCELLED,
                queue_id=callback.queue_id,
                data={"callback_id": callback.pk, "phone": callback.phone},
            )
            Interaction.objects.filter(pk=interaction.pk).update(status=Interaction.Status.RESOLVED, resolved_at=now)
            domain_event_on_commit("interaction.resolved", interaction_id=interaction.pk)
        callback.state, callback.ended_at, callback.next_attempt_at = State.CANCELLED, now, None
        callback.save(update_fields=["state", "ended_at", "next_attempt_at"])
        clear_timer_on_commit(current_schema(), TIMER, callback.pk)
        record_audit(actor, "callback.cancelled", callback)
        _announce(callback)
    return callback
