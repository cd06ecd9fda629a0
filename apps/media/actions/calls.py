"""Writes of calls: start, answer, join, hold, mode, mute, screen share, invite, transfer, end.

A call is an interaction in the `voice` or `video` channel with a `Call` row beside it. Each function
runs inside the tenant (consumers call it with `in_tenant`), changes the rows under a lock on the call,
records a `CallEvent`, and announces the new state to the call's group after commit. Talking to the
media worker (ringback, hold, recording) is the consumer's part, after the action returned
(`apps.media.signaling`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.agents.models import AgentProfile
from apps.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from apps.core.events import send_event_on_commit
from apps.core.hooks import domain_event_on_commit
from apps.core.keys import group_name
from apps.core.tenancy import current_schema
from apps.inbox import record
from apps.inbox.actions import do_open_interaction, do_post_message
from apps.inbox.models import Contact, Interaction, Message, Segment
from apps.routing.locks import lock_interaction
from apps.routing.models import Offer, Queue

from ..models import Call, CallEvent, CallParty

CALL_CHANNELS = frozenset({"voice", "video"})
CUSTOMER = "customer"


class CallError(ApplicationError):
    code = "call_error"
    status = 409


def call_group(schema: str, call_id: str) -> str:
    """Every socket in the call (and the media worker's events: `call.media_lost`, `call.recording_ready`)."""
    return group_name(schema, "call", call_id)


def party_group(schema: str, call_id: str, party: str) -> str:
    """One party's sockets: signaling addressed to them."""
    return group_name(schema, "callparty", call_id, party)


def agent_party(user_id: int) -> str:
    return f"agent-{user_id}"


@dataclass(frozen=True)
class Seat:
    """Who a socket is in a call: the party name and role, checked against the rows."""

    call_id: str
    party: str
    role: str

    @property
    def user_id(self) -> int | None:
        """The user behind an agent or guest seat (`agent-<user id>`); None for the customer."""
        head, _sep, tail = self.party.partition("-")
        return int(tail) if head == "agent" and tail.isdigit() else None


# --- payloads ------------------------------------------------------------------------------------


def call_payload(call: Call) -> dict[str, Any]:
    parties = [
        {
            "party": p.party,
            "role": p.role,
            "name": p.user.display_name
            if p.user
            else (str(call.interaction.contact) if call.interaction.contact else ""),
            "joined": p.joined_at is not None,
            "muted": p.muted,
            "sharing": p.sharing,
        }
        for p in call.parties.filter(left_at__isnull=True).select_related("user").order_by("pk")
    ]
    return {
        "call_id": call.call_id,
        "interaction_id": call.interaction_id,
        "mode": call.mode,
        "state": call.state,
        "recorded": call.recorded,
        "parties": parties,
        "answered_at": call.answered_at.isoformat() if call.answered_at else None,
        "ended_at": call.ended_at.isoformat() if call.ended_at else None,
        "ended_by": call.ended_by,
        "end_reason": call.end_reason,
    }


def _announce(call: Call, change: str, **extra: Any) -> None:
    schema = current_schema()
    event = {"type": "call.updated", "change": change, "call": call_payload(call), **extra}
    send_event_on_commit(schema, event, [call_group(schema, call.call_id)])


def _event(call: Call, kind: str, party: str = "", **data: Any) -> CallEvent:
    return CallEvent.objects.create(call=call, interaction_id=call.interaction_id, kind=kind, party=party, data=data)


def _locked(call_id: Any) -> Call:
    """Lock the call, after its interaction's pending offers and the interaction (the lock order,
    apps/core/locks.py): a hang-up ends the ringing offer and posts to the interaction, an accept
    locks the offer and interaction and then answers the call, so both must start at the offer."""
    if not isinstance(call_id, str) or not call_id:
        raise ValidationFailed(_("Which call?"), fields={"call_id": [_("Required.")]})
    interaction_id = Call.objects.filter(call_id=call_id).values_list("interaction_id", flat=True).first()
    if interaction_id is not None:
        lock_interaction(interaction_id)
    call = (
        Call.objects.select_for_update(of=("self",))
        .select_related("interaction", "interaction__contact")
        .filter(call_id=call_id)
        .first()
    )
    if call is None:
        raise NotFound(_("No such call."))
    return call


def _live(call: Call) -> None:
    if call.state == Call.State.ENDED:
        raise CallError(_("This call has ended."), code="call_ended")


def _seat_party(call: Call, seat: Seat) -> CallParty:
    party = CallParty.objects.filter(call=call, party=seat.party, left_at__isnull=True).first()
    if party is None:
        raise PermissionDenied(_("You are not in this call."))
    return party


# --- start and answer ----------------------------------------------------------------------------


def check_mode(mode: Any) -> str:
    if mode not in Call.Mode.values:
        raise ValidationFailed(
            _("Unknown call mode."), fields={"mode": [_("Choose one of: %(m)s.") % {"m": ", ".join(Call.Mode.values)}]}
        )
    return str(mode)


def do_start_call(
    *,
    contact: Contact,
    queue: Queue,
    mode: Any,
    context: dict[str, Any],
    page: dict[str, Any],
    attributes: dict[str, Any],
    from_interaction: Interaction | None = None,
) -> Call:
    """The customer calls: a new voice/video interaction, routed like any other. A call started from
    a running chat ("upgrade") keeps the chat's case and asks for the chat's agent first."""
    mode = check_mode(mode)
    channel = "voice" if mode == Call.Mode.AUDIO else "video"
    preferred = None
    case_id = uuid.uuid4()
    if from_interaction is not None:
        case_id = from_interaction.case_id
        if from_interaction.routing_status == Interaction.RoutingStatus.ASSIGNED:
            preferred = from_interaction.assigned_agent
    with transaction.atomic():
        # The contact's lock makes check-then-create one step: two starts at once (two tabs, a double
        # click) queue here, and the second sees the first's call. The contact comes first in the lock order.
        Contact.objects.select_for_update(of=("self",)).filter(pk=contact.pk).first()
        if Call.objects.filter(interaction__contact=contact).exclude(state=Call.State.ENDED).exists():
            raise CallError(_("You are already in a call."), code="call_in_progress")
        interaction = do_open_interaction(
            channel=channel,
            queue=queue,
            contact=contact,
            attributes=attributes,
            context=context,
            page=page,
            subject=str(_("Video call") if channel == "video" else _("Voice call")),
            preferred_agent=preferred,
            case_id=case_id,
        )
        call = Call.objects.create(
            call_id=uuid.uuid4().hex,
            interaction=interaction,
            mode=mode,
            recorded=queue.record_calls,
            from_interaction=from_interaction,
        )
        CallParty.objects.create(call=call, party=CUSTOMER, role=CallParty.Role.CUSTOMER, joined_at=timezone.now())
        _event(
            call, CallEvent.Kind.OFFERED, CUSTOMER, mode=mode, queue=queue.name, upgraded=from_interaction is not None
        )
        if from_interaction is not None:
            do_post_message(
                from_interaction,
                kind=Message.Kind.SYSTEM,
                body=_("The customer started a video call.")
                if channel == "video"
                else _("The customer started a call."),
            )
    return call


def _record_ringing(call: Call) -> None:
    """Each offer of the call's interaction rang at an agent: write them as `ringing` events (once)."""
    seen = set(
        CallEvent.objects.filter(call=call, kind=CallEvent.Kind.RINGING).values_list("data__offer_id", flat=True)
    )
    for offer in Offer.objects.filter(interaction_id=call.interaction_id).select_related("agent").order_by("pk"):
        if offer.pk in seen:
            continue
        CallEvent.objects.create(
            call=call,
            interaction_id=call.interaction_id,
            kind=CallEvent.Kind.RINGING,
            party=agent_party(offer.agent.user_id),
            at=offer.created_at,
            data={"offer_id": offer.pk, "outcome": offer.status},
        )


def do_answer_call(interaction: Interaction, user: User) -> Call | None:
    """The agent accepted the call's offer (in the same transaction as the routing accept). None for
    a voice/video interaction that has no call here (e.g. one an integration created by API)."""
    with transaction.atomic():
        call_id = Call.objects.filter(interaction=interaction).values_list("call_id", flat=True).first()
        if call_id is None:
            return None
        call = _locked(call_id)
        _live(call)
        now = timezone.now()
        party = agent_party(user.pk)
        CallParty.objects.filter(call=call, role=CallParty.Role.AGENT, left_at__isnull=True).update(left_at=now)
        CallParty.objects.filter(call=call, party=party, left_at__isnull=True).update(left_at=now)
        CallParty.objects.create(call=call, party=party, role=CallParty.Role.AGENT, user=user)
        _finish_hold(call, now)
        call.state = Call.State.ACTIVE
        call.answered_at = call.answered_at or now
        call.save(update_fields=["state", "answered_at", "held_since", "hold_seconds"])
        _record_ringing(call)
        _event(call, CallEvent.Kind.ANSWERED, party, agent=user.display_name)
        _announce(call, "answered")
    return call


# --- in the call ---------------------------------------------------------------------------------


def do_join_call(call_id: Any, user: User) -> tuple[Seat, Call]:
    """An agent (who answered) or an invited supervisor/expert joins: their browser connects now."""
    with transaction.atomic():
        call = _locked(call_id)
        _live(call)
        party = CallParty.objects.filter(call=call, party=agent_party(user.pk), left_at__isnull=True).first()
        if party is None:
            raise PermissionDenied(_("You are not in this call."))
        if party.joined_at is None:
            party.joined_at = timezone.now()
            party.save(update_fields=["joined_at"])
            if party.role == CallParty.Role.GUEST:
                # A conference party: their own handling segment, from joining to leaving.
                record.open_segment(
                    call.interaction,
                    Segment.Kind.HANDLING,
                    queue_id=call.interaction.queue_id,
                    agent_id=_agent_id_of(user.pk),
                    at=party.joined_at,
                    data={"role": "conference"},
                )
            _event(call, CallEvent.Kind.JOINED, party.party, role=party.role)
            _announce(call, "joined", party=party.party)
    return Seat(call.call_id, party.party, party.role), call


def check_seat(seat: Seat) -> Call:
    """The socket's seat is still a party of a live call (read, no lock)."""
    call = Call.objects.select_related("interaction").filter(call_id=seat.call_id).first()
    if call is None or call.state == Call.State.ENDED:
        raise CallError(_("This call has ended."), code="call_ended")
    if not CallParty.objects.filter(call=call, party=seat.party, left_at__isnull=True).exists():
        raise PermissionDenied(_("You are not in this call."))
    return call


def is_live_party(call_id: str, party: str) -> bool:
    return CallParty.objects.filter(
        call__call_id=call_id, party=party, left_at__isnull=True, call__state__in=["queued", "active", "held"]
    ).exists()


def _agent_id_of(user_id: int | None) -> int | None:
    if user_id is None:
        return None
    return AgentProfile.objects.filter(user_id=user_id).values_list("pk", flat=True).first()


def _finish_hold(call: Call, now: Any) -> None:
    if call.held_since is not None:
        call.hold_seconds += (now - call.held_since).total_seconds()
        call.held_since = None


def _require_agent(seat: Seat) -> None:
    if seat.role == CallParty.Role.CUSTOMER:
        raise PermissionDenied(_("Only the agent can do this."))


def do_hold_call(seat: Seat, hold: bool) -> Call:
    _require_agent(seat)
    with transaction.atomic():
        call = _locked(seat.call_id)
        _live(call)
        _seat_party(call, seat)
        now = timezone.now()
        if hold and call.state == Call.State.ACTIVE:
            call.state, call.held_since = Call.State.HELD, now
            held = _event(call, CallEvent.Kind.HELD, seat.party)
            record.open_segment(
                call.interaction,
                Segment.Kind.HOLD,
                queue_id=call.interaction.queue_id,
                agent_id=_agent_id_of(seat.user_id),
                at=held.at,
            )
        elif not hold and call.state == Call.State.HELD:
            _finish_hold(call, now)
            call.state = Call.State.ACTIVE
            resumed = _event(call, CallEvent.Kind.RESUMED, seat.party)
            record.close_segments(call.interaction_id, Segment.Kind.HOLD, Segment.Outcome.RESUMED, at=resumed.at)
        else:
            raise CallError(
                _("The call is not on hold.") if not hold else _("Only a call in progress can be held."),
                code="bad_call_state",
            )
        call.save(update_fields=["state", "held_since", "hold_seconds"])
        _announce(call, "held" if hold else "resumed")
    return call


def do_set_call_mode(seat: Seat, mode: Any) -> Call:
    """Audio only, two-way video, or one-way video (the customer sees the agent). Either side may
    change it; the browsers switch their tracks when they read the new mode."""
    mode = check_mode(mode)
    with transaction.atomic():
        call = _locked(seat.call_id)
        _live(call)
        _seat_party(call, seat)
        if call.mode != mode:
            _event(call, CallEvent.Kind.MODE, seat.party, before=call.mode, after=mode)
            call.mode = mode
            call.save(update_fields=["mode"])
            _announce(call, "mode")
    return call


def do_set_party_flag(seat: Seat, flag: str, value: Any) -> Call:
    """Mute/unmute or screen share on/off, as the other parties should see it."""
    if not isinstance(value, bool):
        raise ValidationFailed(_("Say true or false."), fields={flag: [_("Must be true or false.")]})
    with transaction.atomic():
        call = _locked(seat.call_id)
        _live(call)
        party = _seat_party(call, seat)
        field = {"muted": "muted", "sharing": "sharing"}[flag]
        if getattr(party, field) != value:
            setattr(party, field, value)
            party.save(update_fields=[field])
            if flag == "muted":
                _event(call, CallEvent.Kind.MUTED if value else CallEvent.Kind.UNMUTED, seat.party)
            else:
                _event(call, CallEvent.Kind.SCREEN_SHARE, seat.party, active=value)
            _announce(call, flag, party=seat.party)
    return call


def do_leave_call(seat: Seat, reason: str = "hangup") -> Call:
    """A party hangs up. The customer or the call's agent ends the call for everyone; a guest leaves."""
    with transaction.atomic():
        call = _locked(seat.call_id)
        if call.state == Call.State.ENDED:
            return call
        party = _seat_party(call, seat)
        if party.role == CallParty.Role.GUEST:
            party.left_at = timezone.now()
            party.save(update_fields=["left_at"])
            guest_agent = _agent_id_of(seat.user_id)
            if guest_agent is not None:
                record.close_segments(
                    call.interaction_id,
                    Segment.Kind.HANDLING,
                    Segment.Outcome.LEFT,
                    at=party.left_at,
                    agent_id=guest_agent,
                )
            _event(call, CallEvent.Kind.LEFT, seat.party, reason=reason)
            _announce(call, "left", party=seat.party)
            return call
        return _end(call, ended_by=seat.party, reason=reason)


def do_end_call_by_system(call_id: str, reason: str) -> Call | None:
    """The media worker died or the call could not get media: end it cleanly (idempotent)."""
    with transaction.atomic():
        interaction_id = Call.objects.filter(call_id=call_id).values_list("interaction_id", flat=True).first()
        if interaction_id is not None:
            lock_interaction(interaction_id)  # the lock order: offers, interaction, then the call
        call = (
            Call.objects.select_for_update(of=("self",)).select_related("interaction").filter(call_id=call_id).first()
        )
        if call is None or call.state == Call.State.ENDED:
            return call
        return _end(call, ended_by="system", reason=reason)


def _ended_facts(call: Call) -> dict[str, Any]:
    """What outgoing webhooks say of an ended call (docs/webhooks.md, `call.ended`)."""
    return {
        "id": call.call_id,
        "mode": call.mode,
        "created_at": call.created_at.isoformat(),
        "answered_at": call.answered_at.isoformat() if call.answered_at else None,
        "ended_at": call.ended_at.isoformat() if call.ended_at else None,
        "ended_by": call.ended_by,
        "reason": call.end_reason,
        "wait_seconds": call.wait_seconds,
        "talk_seconds": call.talk_seconds,
        "hold_seconds": round(call.hold_seconds, 3),
        "recorded": call.recorded,
    }


def _end(call: Call, *, ended_by: str, reason: str) -> Call:
    """Caller holds the call's lock."""
    from apps.routing.actions import do_abandon_interaction, do_complete_interaction

    now = timezone.now()
    _finish_hold(call, now)
    call.state, call.ended_at, call.ended_by, call.end_reason = Call.State.ENDED, now, ended_by, reason
    call.save(update_fields=["state", "ended_at", "ended_by", "end_reason", "held_since", "hold_seconds"])
    record.close_segments(call.interaction_id, Segment.Kind.HOLD, Segment.Outcome.ENDED, at=now)
    for guest_user in CallParty.objects.filter(
        call=call, role=CallParty.Role.GUEST, left_at__isnull=True, joined_at__isnull=False
    ).values_list("user_id", flat=True):
        guest_agent = _agent_id_of(guest_user)
        if guest_agent is not None:
            record.close_segments(
                call.interaction_id, Segment.Kind.HANDLING, Segment.Outcome.ENDED, at=now, agent_id=guest_agent
            )
    CallParty.objects.filter(call=call, left_at__isnull=True).update(left_at=now)
    _record_ringing(call)
    _event(
        call,
        CallEvent.Kind.ENDED,
        ended_by,
        reason=reason,
        wait_seconds=call.wait_seconds,
        talk_seconds=call.talk_seconds,
        hold_seconds=round(call.hold_seconds, 3),
    )
    interaction = Interaction.objects.get(pk=call.interaction_id)
    if call.answered_at is None:
        body = _("Call ended before it was answered.")
    else:
        talk = int(call.talk_seconds or 0)
        body = _("Call ended after %(m)d:%(s)02d.") % {"m": talk // 60, "s": talk % 60}
    do_post_message(interaction, kind=Message.Kind.SYSTEM, body=body)
    _announce(call, "ended")
    domain_event_on_commit("call.ended", interaction_id=interaction.pk, call=_ended_facts(call))
    if interaction.routing_status == Interaction.RoutingStatus.ASSIGNED:
        transaction.on_commit(lambda: do_complete_interaction(interaction.pk))
    elif interaction.routing_status in {Interaction.RoutingStatus.QUEUED, Interaction.RoutingStatus.OFFERED}:
        do_abandon_interaction(interaction.pk)
    return call
