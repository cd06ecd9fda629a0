"""Writes of the routing app: enqueue, offer, accept, reject, time out, complete, overflow.

Lock order in every action: offer → interaction → agent (the engine keeps the same order; see
engine.py). Routing decisions run after the commit of the write that caused them; realtime events
go out after commit to the people the action names. Timers (offer timeouts, step widening, maximum
wait) are set after commit in Redis (see timers.py)."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.agents.models import CHANNELS, AgentProfile, AgentState, Channel
from apps.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from apps.core.events import send_event_on_commit, send_events_on_commit, user_group
from apps.core.hooks import domain_event_on_commit
from apps.core.keys import group_name
from apps.core.tenancy import current_schema
from apps.inbox import record
from apps.inbox.models import Interaction, Segment

from . import engine, timers
from .expressions import BUILTIN_INTERACTION_ATTRIBUTES
from .locks import lock_interaction
from .models import InteractionAttribute, Offer, Queue
from .selectors import queue_is_open, routing_allowed

logger = logging.getLogger(__name__)

MAX_ATTRIBUTES_BYTES = 8 * 1024
MAX_AGENT_OFFERS_PER_EVENT = 10


class QueueClosed(ApplicationError):
    code = "queue_closed"
    status = 409


class QueueFull(ApplicationError):
    code = "queue_full"
    status = 409


class RoutingSuspended(ApplicationError):
    code = "tenant_suspended"
    status = 403


def interaction_group(schema: str, interaction_id: int) -> str:
    return group_name(schema, "interaction", interaction_id)


def announce_assignments_on_commit(schema: str, *user_ids: int | None) -> None:
    """Tell these users' desktops that the set of conversations assigned to them changed: each
    desktop socket then follows its assigned open conversations (their messages reach it whether or
    not one is on screen; see InboxFrames.follow_assigned) and reloads its inbox list."""
    groups = sorted({user_group(schema, uid) for uid in user_ids if uid})
    if groups:
        send_event_on_commit(schema, {"type": "assignments.changed"}, groups)


# --- enqueue ------------------------------------------------------------------------------------


def check_attributes(attributes: Any) -> dict[str, Any]:
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise ValidationFailed(_("Attributes must be a JSON object."), fields={"attributes": [_("Not an object.")]})
    if len(json.dumps(attributes)) > MAX_ATTRIBUTES_BYTES:
        raise ValidationFailed(
            _("Attributes are too large."),
            fields={"attributes": [_("At most %(n)d bytes.") % {"n": MAX_ATTRIBUTES_BYTES}]},
        )
    types = dict(BUILTIN_INTERACTION_ATTRIBUTES)
    types.update(dict(InteractionAttribute.objects.values_list("name", "type")))
    errors = []
    for key, value in attributes.items():
        expected = types.get(key)
        if expected == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            errors.append(_("%(k)s must be a number.") % {"k": key})
        elif expected == "boolean" and not isinstance(value, bool):
            errors.append(_("%(k)s must be true or false.") % {"k": key})
        elif expected == "text" and not isinstance(value, str):
            errors.append(_("%(k)s must be text.") % {"k": key})
    if errors:
        raise ValidationFailed(_("Some attributes are not valid."), fields={"attributes": errors})
    return attributes


def do_enqueue_interaction(
    *,
    channel: str,
    queue: Queue,
    priority: int = 0,
    attributes: Any = None,
    preferred_agent: AgentProfile | None = None,
    subject: str = "",
    interaction: Interaction,
    allow_closed: bool = False,
) -> Interaction:
    """Put `interaction` in a queue (new ones come from `inbox.actions.do_open_interaction`, which
    calls this in its transaction; others move here by transfer or overflow) and route it after
    commit. The caller holds the interaction's lock, or created it in this transaction.

    The queue's maximum size is checked under a transaction-level advisory lock of the queue, so
    two arrivals never both take its last place (taken after the interaction's lock; nothing waits
    on an interaction while holding it)."""
    if channel not in Channel.values:
        raise ValidationFailed(
            _("Unknown channel."), fields={"channel": [_("Choose one of: %(c)s.") % {"c": ", ".join(Channel.values)}]}
        )
    attributes = check_attributes(attributes)
    if not routing_allowed():
        raise RoutingSuspended(_("This contact center is suspended; no new conversations are routed."))
    if not allow_closed and not queue_is_open(queue, timezone.now()):
        raise QueueClosed(_("%(q)s is closed now.") % {"q": queue.name})
    now = timezone.now()
    with transaction.atomic():
        if queue.max_size is not None:
            _lock_queue_size(queue.pk)
            waiting = (
                Interaction.objects.filter(queue=queue, routing_status=Interaction.RoutingStatus.QUEUED)
                .exclude(pk=interaction.pk)
                .count()
            )
            if waiting >= queue.max_size:
                return _overflow_on_arrival(queue, channel, priority, attributes, preferred_agent, subject, interaction)
        preferred_wait = queue.preferred_agent_wait_seconds if preferred_agent else 0
        fields = {
            "channel": channel,
            "queue": queue,
            "priority": priority,
            "attributes": attributes,
            "preferred_agent": preferred_agent,
            "subject": subject[:200],
            "routing_status": Interaction.RoutingStatus.QUEUED,
            "enqueued_at": now,
            "steps_start_at": now + timedelta(seconds=preferred_wait),
            "declined_agent_ids": [],
        }
        for key, value in fields.items():
            setattr(interaction, key, value)
        # Only these fields: a full save would write back a stale `last_seq` (messages posted
        # since the caller loaded the row, e.g. a transfer's note) and reuse sequence numbers.
        interaction.save(update_fields=list(fields))
        record.record_enqueued(interaction, queue_id=queue.pk, at=now, previous_outcome=Segment.Outcome.FLOWED_OUT)
        schema = current_schema()
        iid = interaction.pk
        send_event_on_commit(
            schema,
            {"type": "interaction.queued", "interaction_id": iid, "queue": queue.name},
            [interaction_group(schema, iid)],
        )
        if queue.max_wait_seconds:
            timers.set_timer_on_commit(schema, timers.MAX_WAIT, iid, time.time() + queue.max_wait_seconds)
        transaction.on_commit(lambda: route_interaction_now(iid))
    return interaction


def _lock_queue_size(queue_id: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), %s)", [f"{current_schema()}:queue-size", queue_id])


def _overflow_on_arrival(
    queue: Queue,
    channel: str,
    priority: int,
    attributes: dict[str, Any],
    preferred_agent: AgentProfile | None,
    subject: str,
    interaction: Interaction,
) -> Interaction:
    if queue.overflow_action == Queue.Overflow.QUEUE and queue.overflow_queue:
        # It passed through the full queue without waiting there: a queue segment of no length.
        now = timezone.now()
        record.close_segments(interaction.pk, Segment.Kind.QUEUE, Segment.Outcome.FLOWED_OUT, at=now)
        record.add_segment(
            interaction,
            Segment.Kind.QUEUE,
            started_at=now,
            ended_at=now,
            outcome=Segment.Outcome.FLOWED_OUT,
            queue_id=queue.pk,
            data={"reason": "full", "to_queue": queue.overflow_queue_id, "wait_seconds": 0.0},
        )
        return do_enqueue_interaction(
            channel=channel,
            queue=queue.overflow_queue,
            priority=priority,
            attributes=attributes,
            preferred_agent=preferred_agent,
            subject=subject,
            interaction=interaction,
        )
    if queue.overflow_action == Queue.Overflow.CALLBACK:
        raise QueueFull(_("All agents are busy. Leave your number and we will call you back."), code="callback_offered")
    raise QueueFull(_("%(q)s is full. Please try again later.") % {"q": queue.name})


# --- routing decisions -------------------------------------------------------------------------


def _announce_offer(made: engine.OfferMade) -> None:
    """Events and the timeout timer for an offer just made: sent when the decision commits (at once
    when it ran on its own, outside a transaction)."""
    schema = current_schema()
    event = {
        "type": "offer.created",
        "offer": {
            "id": made.offer_id,
            "interaction_id": made.interaction_id,
            "channel": made.channel,
            "expires_at": made.expires_at.isoformat(),
            "queue": made.queue_name,
            "subject": made.subject,
            "attributes": made.attributes or {},
        },
    }
    send_events_on_commit(
        schema,
        [
            (event, [user_group(schema, made.user_id)]),
            (
                {"type": "interaction.offered", "interaction_id": made.interaction_id},
                [interaction_group(schema, made.interaction_id)],
            ),
        ],
    )
    timers.set_timer_on_commit(schema, timers.OFFER, made.offer_id, made.expires_at)


# A decision is one statement (engine.py): run outside a transaction it commits by itself, and the
# offer's events and timer follow at once. No transaction.atomic() around it: that would only add
# BEGIN and COMMIT round trips.


def route_interaction_now(interaction_id: int) -> engine.OfferMade | None:
    """Offer the interaction to an agent now, or set a timer for when its eligibility widens."""
    if not routing_allowed():
        return None
    result = engine.decide_for_interaction(interaction_id)
    if result.made is not None:
        _announce_offer(result.made)
        return result.made
    if result.wake_in is not None:
        # Idempotent when it fires: the interaction may have been taken meanwhile.
        timers.set_timer_on_commit(
            current_schema(), timers.RECONSIDER, interaction_id, time.time() + result.wake_in + 0.05
        )
    return None


def route_agent_now(agent_id: int) -> list[engine.OfferMade]:
    """Offer the agent as much waiting work as their free capacity allows."""
    if not routing_allowed():
        return []
    made_offers = []
    for _attempt in range(MAX_AGENT_OFFERS_PER_EVENT):
        made = engine.offer_to_agent(agent_id)
        if made is None:
            break
        _announce_offer(made)
        made_offers.append(made)
        if not made.agent_has_room:
            break  # full now: no need to ask again
    return made_offers


def after_commit_route_agent(agent_id: int) -> None:
    transaction.on_commit(lambda: route_agent_now(agent_id))


# --- offers ------------------------------------------------------------------------------------


def _release_load(agent_id: int, channel: str, *, work_ended: bool = False) -> None:
    """Give back one unit of the agent's `channel` capacity (an offer that ended, or finished work)."""
    field = f"load_{channel}"
    AgentProfile.objects.filter(pk=agent_id, **{f"{field}__gt": 0}).update(**{field: F(field) - 1})
    if work_ended:
        # Longest idle counts from when the agent last finished work and had none left; a missed or
        # declined offer does not make them "less idle".
        AgentProfile.objects.filter(pk=agent_id, **{f"load_{c}": 0 for c in CHANNELS}).update(idle_since=timezone.now())


def _lock_offer(offer_id: int) -> Offer:
    try:
        return Offer.objects.select_for_update(of=("self",)).select_related("agent").get(pk=offer_id)
    except Offer.DoesNotExist:
        raise NotFound(_("No such offer.")) from None


def _end_offer(offer: Offer, status: str, *, decline: bool) -> Interaction:
    """Close a pending offer and put its interaction back in the queue. Caller holds the offer lock."""
    interaction = Interaction.objects.select_for_update().get(pk=offer.interaction_id)
    offer.status = status
    offer.decided_at = timezone.now()
    offer.save(update_fields=["status", "decided_at"])
    if interaction.routing_status == Interaction.RoutingStatus.OFFERED:
        interaction.routing_status = Interaction.RoutingStatus.QUEUED
        if decline and offer.agent_id not in interaction.declined_agent_ids:
            interaction.declined_agent_ids = [*interaction.declined_agent_ids, offer.agent_id]
        interaction.save(update_fields=["routing_status", "declined_agent_ids"])
    record.record_offer_end(
        interaction,
        offer_id=offer.pk,
        agent_id=offer.agent_id,
        created_at=offer.created_at,
        decided_at=offer.decided_at,
        status=status,
    )
    _release_load(offer.agent_id, offer.channel)
    schema = current_schema()
    send_event_on_commit(
        schema,
        {"type": "offer.ended", "offer_id": offer.pk, "status": status, "interaction_id": interaction.pk},
        [user_group(schema, offer.agent.user_id)],
    )
    timers.clear_timer_on_commit(schema, timers.OFFER, offer.pk)
    return interaction


def _agent_of(user: User) -> AgentProfile:
    agent = AgentProfile.objects.filter(user=user).first()
    if agent is None:
        raise PermissionDenied(_("You have no agent profile."))
    return agent


def do_accept_offer(offer_id: int, user: User) -> Interaction:
    agent = _agent_of(user)
    with transaction.atomic():
        offer = _lock_offer(offer_id)
        if offer.agent_id != agent.pk:
            raise NotFound(_("No such offer."))
        if offer.status != Offer.Status.PENDING:
            raise ApplicationError(
                _("This offer is no longer available (%(s)s).") % {"s": offer.get_status_display()},
                code="offer_not_pending",
                status=409,
            )
        if offer.expires_at <= timezone.now():
            raise ApplicationError(_("This offer has timed out."), code="offer_expired", status=409)
        interaction = Interaction.objects.select_for_update().get(pk=offer.interaction_id)
        now = timezone.now()
        offer.status, offer.decided_at = Offer.Status.ACCEPTED, now
        offer.save(update_fields=["status", "decided_at"])
        interaction.routing_status = Interaction.RoutingStatus.ASSIGNED
        interaction.assignee = user
        interaction.assigned_agent = agent
        interaction.assigned_at = now
        interaction.save(update_fields=["routing_status", "assignee", "assigned_agent", "assigned_at"])
        record.record_offer_end(
            interaction,
            offer_id=offer.pk,
            agent_id=agent.pk,
            created_at=offer.created_at,
            decided_at=now,
            status=Offer.Status.ACCEPTED,
        )
        record.record_answered(interaction, agent_id=agent.pk, at=now)
        AgentProfile.objects.filter(pk=agent.pk).update(missed_offers_in_row=0)
        schema = current_schema()
        timers.clear_timer_on_commit(schema, timers.OFFER, offer.pk)
        send_event_on_commit(
            schema,
            {"type": "offer.ended", "offer_id": offer.pk, "status": offer.status, "interaction_id": interaction.pk},
            [user_group(schema, user.pk)],
        )
        send_event_on_commit(
            schema,
            {
                "type": "interaction.assigned",
                "interaction_id": interaction.pk,
                "agent": {"id": agent.pk, "name": user.display_name},
            },
            [interaction_group(schema, interaction.pk)],
        )
        announce_assignments_on_commit(schema, user.pk)
        domain_event_on_commit("interaction.assigned", interaction_id=interaction.pk, agent_id=agent.pk)
    return interaction


def do_reject_offer(offer_id: int, user: User) -> None:
    agent = _agent_of(user)
    with transaction.atomic():
        offer = _lock_offer(offer_id)
        if offer.agent_id != agent.pk:
            raise NotFound(_("No such offer."))
        if offer.status != Offer.Status.PENDING:
            raise ApplicationError(_("This offer is no longer available."), code="offer_not_pending", status=409)
        interaction = _end_offer(offer, Offer.Status.REJECTED, decline=True)
        iid, aid = interaction.pk, agent.pk
        transaction.on_commit(lambda: (route_or_cool_down(iid), route_agent_now(aid)))


def do_expire_offer(offer_id: int) -> bool:
    """Time out a ringing offer (idempotent). True when it was still ringing."""
    from apps.agents.actions import do_record_missed_offer

    with transaction.atomic():
        offer = Offer.objects.select_for_update(of=("self",)).select_related("agent").filter(pk=offer_id).first()
        if offer is None or offer.status != Offer.Status.PENDING:
            return False
        if offer.expires_at > timezone.now():
            # Woken early (clocks differ, or called by hand): come back when it is due.
            timers.set_timer_on_commit(current_schema(), timers.OFFER, offer_id, offer.expires_at)
            return False
        interaction = _end_offer(offer, Offer.Status.TIMED_OUT, decline=True)
        iid, aid = interaction.pk, offer.agent_id
        transaction.on_commit(lambda: route_or_cool_down(iid))
    if not do_record_missed_offer(aid):
        route_agent_now(aid)
    return True


def route_or_cool_down(interaction_id: int) -> engine.OfferMade | None:
    """After a decline or a missed offer: offer the interaction to another eligible agent now; when
    there is none, the agents who declined get it again once the tenant's cool-down has passed (the
    `declined` timer), so a customer never waits for ever on an agent who is idle."""
    made = route_interaction_now(interaction_id)
    if made is None and routing_allowed():
        declined = (
            Interaction.objects.filter(pk=interaction_id).values_list("declined_agent_ids", flat=True).first() or []
        )
        ends = _cool_down_ends(interaction_id, declined)
        if ends:
            # Each agent's cool-down runs from their own decline: the timer is due at the first end (a
            # later decline by another agent does not push back an earlier one).
            timers.set_timer(current_schema(), timers.DECLINED, interaction_id, min(ends.values()))
    return made


def _cool_down_ends(interaction_id: int, agent_ids: list[int]) -> dict[int, Any]:
    """When each of these agents' cool-down after declining the interaction ends (their last decline
    plus the tenant's cool-down)."""
    cooldown = timedelta(seconds=engine.policy().decline_cooldown_seconds)
    ends: dict[int, Any] = {}
    for agent_id, at in Offer.objects.filter(
        interaction_id=interaction_id,
        agent_id__in=agent_ids,
        status__in=[Offer.Status.REJECTED, Offer.Status.TIMED_OUT],
        decided_at__isnull=False,
    ).values_list("agent_id", "decided_at"):
        if at is not None:
            ends[agent_id] = max(at + cooldown, ends.get(agent_id, at + cooldown))
    return ends


def do_forgive_declines(interaction_id: int) -> None:
    """A cool-down after a decline ended (timer; idempotent). Another eligible agent, if one is free
    now, is still preferred; then the agents whose cool-down is over are forgiven (those who declined
    more recently wait for the end of theirs: the timer is set again for the next one)."""
    waiting = Interaction.objects.filter(
        pk=interaction_id, routing_status=Interaction.RoutingStatus.QUEUED
    ).values_list("declined_agent_ids", flat=True)
    declined = waiting.first()
    if not declined:
        return
    if route_interaction_now(interaction_id) is not None:
        return
    with transaction.atomic():
        _offers, interaction = lock_interaction(interaction_id)
        if interaction is None or interaction.routing_status != Interaction.RoutingStatus.QUEUED:
            return
        ends = _cool_down_ends(interaction_id, interaction.declined_agent_ids)
        now = timezone.now()
        cooling = [a for a in interaction.declined_agent_ids if a in ends and ends[a] > now]
        interaction.declined_agent_ids = cooling
        interaction.save(update_fields=["declined_agent_ids"])
        if cooling:
            due = min(ends[a] for a in cooling)
            timers.set_timer_on_commit(current_schema(), timers.DECLINED, interaction_id, due)
    route_interaction_now(interaction_id)


def cancel_pending_offers_of(agent_id: int, reason: str) -> int:
    """The agent went away or offline: their ringing offers go to other agents."""
    cancelled = 0
    for offer_id in Offer.objects.filter(agent_id=agent_id, status=Offer.Status.PENDING).values_list("pk", flat=True):
        with transaction.atomic():
            offer = Offer.objects.select_for_update(of=("self",)).select_related("agent").get(pk=offer_id)
            if offer.status != Offer.Status.PENDING:
                continue
            interaction = _end_offer(offer, Offer.Status.CANCELLED, decline=False)
            iid = interaction.pk
            transaction.on_commit(lambda iid=iid: route_interaction_now(iid))  # type: ignore[misc]
            cancelled += 1
    return cancelled


def do_assign_interaction(interaction_id: int, agent: AgentProfile, *, actor: User) -> Interaction:
    """A supervisor gives a waiting interaction to an agent (themselves, to take it): its ringing
    offer, if any, is cancelled and it is the agent's at once, whatever their state and capacity (the
    supervisor decides). Also what `do_pick_interaction` does for an agent who picks it."""
    from apps.accounts.audit import record_audit

    with transaction.atomic():
        offers, interaction = lock_interaction(interaction_id)
        if interaction is None:
            raise NotFound(_("No such conversation."))
        if interaction.routing_status not in {Interaction.RoutingStatus.QUEUED, Interaction.RoutingStatus.OFFERED}:
            raise ApplicationError(
                _("This conversation is not waiting (%(s)s).") % {"s": interaction.get_routing_status_display()},
                code="not_waiting",
                status=409,
            )
        for offer in offers:
            if offer.status == Offer.Status.PENDING:
                _end_offer(offer, Offer.Status.CANCELLED, decline=False)
        agent = AgentProfile.objects.select_for_update().select_related("user").get(pk=agent.pk)
        if not agent.user.is_active:
            raise ValidationFailed(_("Choose an active colleague."), fields={"agent": [_("Deactivated.")]})
        now = timezone.now()
        Interaction.objects.filter(pk=interaction.pk).update(
            routing_status=Interaction.RoutingStatus.ASSIGNED,
            assignee=agent.user,
            assigned_agent=agent,
            assigned_at=now,
        )
        interaction.refresh_from_db()
        field = f"load_{interaction.channel}"
        AgentProfile.objects.filter(pk=agent.pk).update(**{field: F(field) + 1})
        record.close_segments(
            interaction.pk,
            Segment.Kind.QUEUE,
            Segment.Outcome.ANSWERED,
            at=now,
            data={"agent": agent.pk, "assigned_by": actor.pk},
        )
        record.open_segment(
            interaction,
            Segment.Kind.HANDLING,
            queue_id=interaction.queue_id,
            agent_id=agent.pk,
            at=now,
            data={"assigned_by": actor.pk} if actor.pk != agent.user_id else {"picked": True},
        )
        record_audit(actor, "interaction.assigned", interaction, agent=agent.pk)
        schema = current_schema()
        send_event_on_commit(
            schema,
            {
                "type": "interaction.assigned",
                "interaction_id": interaction.pk,
                "agent": {"id": agent.pk, "name": agent.user.display_name},
            },
            [interaction_group(schema, interaction.pk)],
        )
        announce_assignments_on_commit(schema, agent.user_id)
        domain_event_on_commit("interaction.assigned", interaction_id=interaction.pk, agent_id=agent.pk)
    return interaction


def do_pick_interaction(interaction_id: int, user: User) -> Interaction:
    """An agent takes waiting work from one of their queues, where the tenant allows it."""
    agent = _agent_of(user)
    if not engine.policy().agents_may_pick:
        raise PermissionDenied(_("Picking from the queue is not allowed here; ask a supervisor."))
    queue_id = Interaction.objects.filter(pk=interaction_id).values_list("queue_id", flat=True).first()
    if queue_id is None or not agent.queues.filter(pk=queue_id).exists():
        raise NotFound(_("No such conversation in your queues."))
    return do_assign_interaction(interaction_id, agent, actor=user)


def do_complete_interaction(interaction_id: int) -> Interaction:
    """The assigned work is over: its capacity frees (after wrap-up, if the queue asks for it)."""
    from apps.agents.actions import do_start_wrap_up

    with transaction.atomic():
        interaction = Interaction.objects.select_for_update(of=("self",)).select_related("queue").get(pk=interaction_id)
        if interaction.routing_status != Interaction.RoutingStatus.ASSIGNED:
            raise ApplicationError(_("This conversation is not with an agent."), code="not_assigned", status=409)
        interaction.routing_status = Interaction.RoutingStatus.COMPLETED
        interaction.ended_at = timezone.now()
        interaction.save(update_fields=["routing_status", "ended_at"])
        agent_id = interaction.assigned_agent_id
        record.close_segments(interaction.pk, Segment.Kind.HANDLING, Segment.Outcome.COMPLETED, at=interaction.ended_at)
        wrap_seconds = interaction.queue.wrap_up_seconds if interaction.queue else 0
        if agent_id is not None and wrap_seconds:
            record.open_segment(
                interaction,
                Segment.Kind.ACW,
                queue_id=interaction.queue_id,
                agent_id=agent_id,
                at=interaction.ended_at,
                data={"planned_seconds": wrap_seconds},
            )
        if agent_id is not None:
            AgentProfile.objects.select_for_update().get(pk=agent_id)
            _release_load(agent_id, interaction.channel, work_ended=True)
    wrap = interaction.queue.wrap_up_seconds if interaction.queue else 0
    if agent_id is not None:
        if wrap:
            do_start_wrap_up(agent_id, wrap)
            if not AgentProfile.objects.filter(pk=agent_id, state=AgentState.WRAP_UP).exists():
                # No wrap-up began (the agent had gone away or offline): no after-contact work.
                with transaction.atomic():
                    record.close_segments(
                        interaction.pk, Segment.Kind.ACW, Segment.Outcome.COMPLETED, agent_id=agent_id
                    )
        else:
            route_agent_now(agent_id)
    return interaction


def do_reconsider_interaction(interaction_id: int) -> None:
    route_interaction_now(interaction_id)


def do_handle_max_wait(interaction_id: int) -> None:
    """The interaction waited as long as its queue allows: apply the queue's overflow action."""
    with transaction.atomic():
        interaction = (
            Interaction.objects.select_for_update(of=("self",))
            .select_related("queue")
            .filter(pk=interaction_id)
            .first()
        )
        if (
            interaction is None
            or interaction.routing_status != Interaction.RoutingStatus.QUEUED
            or not interaction.queue
        ):
            return
        queue = interaction.queue
        schema = current_schema()
        if queue.overflow_action == Queue.Overflow.QUEUE and queue.overflow_queue:
            target = queue.overflow_queue
        elif queue.overflow_action == Queue.Overflow.CALLBACK:
            interaction.routing_status = Interaction.RoutingStatus.CALLBACK
            interaction.save(update_fields=["routing_status"])
            record.close_segments(interaction.pk, Segment.Kind.QUEUE, Segment.Outcome.CALLBACK_REQUESTED)
            send_event_on_commit(
                schema,
                {"type": "interaction.callback_offered", "interaction_id": interaction.pk},
                [interaction_group(schema, interaction.pk)],
            )
            return
        else:
            return
    do_enqueue_interaction(
        channel=interaction.channel,
        queue=target,
        priority=interaction.priority,
        attributes=interaction.attributes,
        preferred_agent=None,
        subject=interaction.subject,
        interaction=interaction,
    )


def do_abandon_interaction(interaction_id: int) -> None:
    """The customer left while waiting (hung up a queued call): out of the queue, and a ringing
    offer stops ringing. Idempotent. Locks the offer before the interaction, as accepting does."""
    with transaction.atomic():
        pending = (
            Offer.objects.filter(interaction_id=interaction_id, status=Offer.Status.PENDING)
            .values_list("pk", flat=True)
            .first()
        )
        offer = _lock_offer(pending) if pending is not None else None
        interaction = Interaction.objects.select_for_update(of=("self",)).get(pk=interaction_id)
        if interaction.routing_status not in {Interaction.RoutingStatus.QUEUED, Interaction.RoutingStatus.OFFERED}:
            return
        agent_id = None
        if offer is not None and offer.status == Offer.Status.PENDING:
            agent_id = offer.agent_id
            _end_offer(offer, Offer.Status.CANCELLED, decline=False)
        now = timezone.now()
        Interaction.objects.filter(pk=interaction_id).update(
            routing_status=Interaction.RoutingStatus.ABANDONED, ended_at=now
        )
        record.close_segments(interaction_id, Segment.Kind.QUEUE, Segment.Outcome.ABANDONED, at=now)
        if agent_id is not None:
            transaction.on_commit(lambda: route_agent_now(agent_id))


# The public names of two helpers the apps above use (inbox and media transfers move an agent's load
# and announce an offer they made); other apps never import routing's private names.
release_load = _release_load
announce_offer = _announce_offer
