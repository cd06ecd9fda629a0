"""Bringing colleagues into a call: invite a supervisor or an expert (three-way conference), and
transfer the call, warm (hand over to a guest already in the call) or blind (back to routing)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.agents.models import AgentProfile
from apps.core.errors import PermissionDenied, ValidationFailed
from apps.core.events import send_event_on_commit, user_group
from apps.core.locks import lock_rows
from apps.core.tenancy import current_schema
from apps.inbox import record
from apps.inbox.actions import do_post_message
from apps.inbox.models import Interaction, Message, Segment
from apps.routing.models import Queue

from ..models import Call, CallEvent, CallParty
from .calls import (
    CallError,
    Seat,
    _announce,
    _event,
    _live,
    _locked,
    _require_agent,
    _seat_party,
    agent_party,
    call_payload,
)


def do_invite_to_call(seat: Seat, user_id: Any) -> Call:
    """Ask a supervisor or an expert to join (three-way conference, or the first step of a warm
    transfer). Their desktop rings with a "join" button."""
    _require_agent(seat)
    if not isinstance(user_id, int):
        raise ValidationFailed(_("Choose who to invite."), fields={"user_id": [_("Must be a user id.")]})
    with transaction.atomic():
        call = _locked(seat.call_id)
        _live(call)
        _seat_party(call, seat)
        guest = User.objects.filter(pk=user_id, is_active=True).first()
        if guest is None or not AgentProfile.objects.filter(user=guest).exists():
            raise ValidationFailed(_("Choose a colleague."), fields={"user_id": [_("No such agent.")]})
        party = agent_party(guest.pk)
        if CallParty.objects.filter(call=call, party=party, left_at__isnull=True).exists():
            raise ValidationFailed(_("They are already in the call."), fields={"user_id": [_("Already in the call.")]})
        if call.parties.filter(left_at__isnull=True).count() >= 3:
            raise CallError(_("A call holds at most three people."), code="call_full")
        CallParty.objects.create(call=call, party=party, role=CallParty.Role.GUEST, user=guest)
        _event(call, CallEvent.Kind.INVITED, seat.party, guest=party)
        _announce(call, "invited", party=party)
        schema = current_schema()
        inviter = User.objects.get(pk=int(seat.party.split("-", 1)[1]))
        contact = call.interaction.contact
        send_event_on_commit(
            schema,
            {
                "type": "call.invited",
                "call": call_payload(call),
                "by": inviter.display_name,
                "customer": str(contact) if contact else "",
            },
            [user_group(schema, guest.pk)],
        )
    return call


# --- transfer ------------------------------------------------------------------------------------


def do_transfer_call(seat: Seat, *, to_agent_id: Any = None, to_queue_id: Any = None, note: Any = "") -> Call:
    """Blind transfer: the call goes back to routing (a queue, or offered to one agent); this agent
    leaves at once and the customer hears hold music until someone answers.

    Warm transfer: invite the colleague first (`do_invite_to_call`), talk, then hand over with
    `to_agent_id` naming the guest already in the call: they become the call's agent at once."""
    from apps.inbox.actions import do_transfer

    _require_agent(seat)
    if seat.role != CallParty.Role.AGENT:
        raise PermissionDenied(_("Only the call's agent can transfer it."))
    note = note if isinstance(note, str) else ""
    with transaction.atomic():
        call = _locked(seat.call_id)
        _live(call)
        _seat_party(call, seat)
        user = User.objects.get(pk=int(seat.party.split("-", 1)[1]))
        interaction = Interaction.objects.select_related("queue").get(pk=call.interaction_id)
        if isinstance(to_agent_id, int):
            guest = CallParty.objects.filter(
                call=call, party=agent_party(to_agent_id), role=CallParty.Role.GUEST, left_at__isnull=True
            ).first()
            if guest is not None:
                return _hand_over(call, seat, guest, interaction, note)
        to_agent = None
        to_queue = None
        if isinstance(to_agent_id, int):
            to_agent = AgentProfile.objects.select_related("user").filter(user_id=to_agent_id).first()
            if to_agent is None:
                raise ValidationFailed(_("Choose a colleague."), fields={"to": [_("No such agent.")]})
        elif isinstance(to_queue_id, int):
            to_queue = Queue.objects.filter(pk=to_queue_id).first()
            if to_queue is None:
                raise ValidationFailed(_("Choose a queue."), fields={"to": [_("No such queue.")]})
        do_transfer(interaction, user, to_agent=to_agent, to_queue=to_queue, note=note)
        now = timezone.now()
        CallParty.objects.filter(call=call, party=seat.party, left_at__isnull=True).update(left_at=now)
        call.state, call.held_since = Call.State.QUEUED, now
        call.save(update_fields=["state", "held_since"])
        target = to_agent.user.display_name if to_agent else to_queue.name if to_queue else ""
        _event(call, CallEvent.Kind.TRANSFERRED, seat.party, how="blind", to=target)
        _announce(call, "transferred", party=seat.party)
    return call


def _hand_over(call: Call, seat: Seat, guest: CallParty, interaction: Interaction, note: str) -> Call:
    """Warm transfer's last step. Caller holds the call's lock."""
    from apps.routing.actions import announce_assignments_on_commit, release_load, route_agent_now

    assert guest.user is not None
    old_agent_id = interaction.assigned_agent_id
    # Both agents' rows, in primary-key order (the lock order: apps/core/locks.py).
    new_agent_id = AgentProfile.objects.filter(user=guest.user).values_list("pk", flat=True).get()
    locked = {a.pk: a for a in lock_rows(AgentProfile.objects.filter(pk__in=[new_agent_id, old_agent_id or 0]))}
    new_agent = locked[new_agent_id]
    now = timezone.now()
    Interaction.objects.filter(pk=interaction.pk).update(assignee=guest.user, assigned_agent=new_agent, assigned_at=now)
    field = f"load_{interaction.channel}"
    AgentProfile.objects.filter(pk=new_agent.pk).update(**{field: F(field) + 1})
    if old_agent_id:
        release_load(old_agent_id, interaction.channel, work_ended=True)
        transaction.on_commit(lambda: route_agent_now(old_agent_id))
    guest.role = CallParty.Role.AGENT
    guest.save(update_fields=["role"])
    record.record_transfer(
        interaction, from_agent_id=old_agent_id, how=Segment.Outcome.WARM, at=now, to_agent_id=new_agent.pk
    )
    record.close_segments(
        interaction.pk, Segment.Kind.HANDLING, Segment.Outcome.COMPLETED, at=now, agent_id=new_agent.pk
    )
    record.open_segment(
        interaction, Segment.Kind.HANDLING, queue_id=interaction.queue_id, agent_id=new_agent.pk, at=now
    )
    CallParty.objects.filter(call=call, party=seat.party, left_at__isnull=True).update(left_at=now)
    body = _("%(who)s handed the call to %(to)s.") % {
        "who": User.objects.get(pk=int(seat.party.split("-", 1)[1])).display_name,
        "to": guest.user.display_name,
    }
    do_post_message(interaction, kind=Message.Kind.SYSTEM, body=body)
    if note.strip():
        do_post_message(interaction, kind=Message.Kind.NOTE, body=note, author=guest.user)
    _event(call, CallEvent.Kind.TRANSFERRED, seat.party, how="warm", to=guest.party)
    _announce(call, "transferred", party=seat.party)
    old_user_id = (
        AgentProfile.objects.filter(pk=old_agent_id).values_list("user_id", flat=True).first() if old_agent_id else None
    )
    announce_assignments_on_commit(current_schema(), guest.user.pk, old_user_id)
    return call
