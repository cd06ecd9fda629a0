# ruff: noqa: F811  (pytest fixtures imported from tests.routing.conftest)
"""The interaction record: chats and calls driven through the real actions (offers, rejects,
timeouts, transfers, conferences, holds, abandons, overflow) leave exactly the segments they should,
written in the same transaction as the change; a refused enqueue leaves nothing behind."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from apps.agents.models import AgentProfile
from apps.inbox.actions import do_open_interaction, do_resolve, do_transfer
from apps.inbox.models import Contact, Interaction, Segment
from apps.inbox.selectors import interaction_segments
from apps.routing.actions import (
    QueueFull,
    do_accept_offer,
    do_expire_offer,
    do_handle_max_wait,
    do_reject_offer,
)
from apps.routing.models import Offer, Queue
from tests.conftest import TenantInfo
from tests.routing.conftest import World, tenant, world  # noqa: F401  (fixtures)

Row = tuple[str, str, int | None, int | None]


def shape(interaction: Interaction) -> list[Row]:
    """(kind, outcome or "open", agent id, queue id) of each segment, oldest first."""
    return [(s.kind, s.outcome or "open", s.agent_id, s.queue_id) for s in interaction_segments(interaction.pk)]


def pending(interaction: Interaction) -> Offer:
    offer = Offer.objects.filter(interaction=interaction, status="pending").first()
    assert offer is not None, "no ringing offer"
    return offer


def seg(interaction: Interaction, kind: str, agent: AgentProfile | None = None) -> Segment:
    rows = [
        s for s in interaction_segments(interaction.pk) if s.kind == kind and (agent is None or s.agent_id == agent.pk)
    ]
    assert len(rows) == 1, (kind, rows)
    return rows[0]


def test_a_chat_answered_and_resolved(world: World) -> None:
    q = world.queue("Support", wrap_up_seconds=30)
    ann = world.agent(queues=[q])
    chat = do_open_interaction(channel="chat", queue=q, subject="Refund")
    offer = pending(chat)
    do_accept_offer(offer.pk, ann.user)
    assert shape(chat) == [
        ("queue", "answered", None, q.pk),
        ("offer", "accepted", ann.pk, q.pk),
        ("handling", "open", ann.pk, q.pk),
    ]
    chat.refresh_from_db()
    do_resolve(chat, ann.user)
    assert shape(chat) == [
        ("queue", "answered", None, q.pk),
        ("offer", "accepted", ann.pk, q.pk),
        ("handling", "completed", ann.pk, q.pk),
        ("acw", "open", ann.pk, q.pk),
    ]
    queue_seg, offer_seg, handling = interaction_segments(chat.pk)[:3]
    assert handling.ended_at is not None
    # One instant joins them: the accept ended the wait and the offer and started the handling.
    assert queue_seg.ended_at == offer_seg.ended_at == handling.started_at
    assert offer_seg.offer_id == offer.pk and offer_seg.started_at == offer.created_at
    assert queue_seg.data["wait_seconds"] == pytest.approx(queue_seg.seconds, abs=0.001)
    assert handling.data["hold_seconds"] == 0
    assert handling.data["talk_seconds"] == pytest.approx(handling.seconds, abs=0.001)
    assert seg(chat, "acw").data["planned_seconds"] == 30
    # The agent ends wrap-up early: the after-contact work ends with the wrap-up state, exactly.
    from apps.agents.actions import do_end_wrap_up

    do_end_wrap_up(ann.pk)
    acw = seg(chat, "acw")
    available = ann.presence_history.order_by("-started_at").first()
    assert available is not None and available.state == "available"
    assert acw.outcome == "completed" and acw.ended_at == available.started_at
    assert acw.started_at == handling.ended_at
    assert {s.channel for s in interaction_segments(chat.pk)} == {"chat"}


def test_rejected_and_timed_out_offers_are_recorded_before_the_answer(world: World) -> None:
    q = world.queue("Support")
    first = world.agent(queues=[q], idle_seconds_ago=300)
    second = world.agent(queues=[q], idle_seconds_ago=200)
    third = world.agent(queues=[q], idle_seconds_ago=100)
    chat = do_open_interaction(channel="chat", queue=q)
    do_reject_offer(pending(chat).pk, first.user)
    late = pending(chat)
    assert late.agent_id == second.pk
    Offer.objects.filter(pk=late.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert do_expire_offer(late.pk)
    final = pending(chat)
    assert final.agent_id == third.pk
    do_accept_offer(final.pk, third.user)
    assert shape(chat) == [
        ("queue", "answered", None, q.pk),
        ("offer", "rejected", first.pk, q.pk),
        ("offer", "timed_out", second.pk, q.pk),
        ("offer", "accepted", third.pk, q.pk),
        ("handling", "open", third.pk, q.pk),
    ]


def test_transfers_to_a_queue_and_to_an_agent(world: World) -> None:
    sales = world.queue("Sales")
    billing = world.queue("Billing")
    ann = world.agent(queues=[sales])
    bob = world.agent(queues=[billing])
    cat = world.agent(queues=[])
    chat = do_open_interaction(channel="chat", queue=sales)
    do_accept_offer(pending(chat).pk, ann.user)
    chat.refresh_from_db()
    do_transfer(chat, ann.user, to_queue=billing, note="Wants an invoice")
    do_accept_offer(pending(chat).pk, bob.user)
    chat.refresh_from_db()
    do_transfer(chat, bob.user, to_agent=cat)
    do_accept_offer(pending(chat).pk, cat.user)
    assert shape(chat) == [
        ("queue", "answered", None, sales.pk),
        ("offer", "accepted", ann.pk, sales.pk),
        ("handling", "transferred", ann.pk, sales.pk),
        ("transfer", "blind", ann.pk, billing.pk),
        ("queue", "answered", None, billing.pk),
        ("offer", "accepted", bob.pk, billing.pk),
        ("handling", "transferred", bob.pk, billing.pk),
        ("transfer", "blind", bob.pk, billing.pk),
        ("offer", "accepted", cat.pk, billing.pk),
        ("handling", "open", cat.pk, billing.pk),
    ]
    to_queue, to_agent = [s for s in interaction_segments(chat.pk) if s.kind == "transfer"]
    assert to_queue.data == {"from_agent": ann.pk, "to_agent": None, "to_queue": billing.pk}
    assert to_agent.data == {"from_agent": bob.pk, "to_agent": cat.pk, "to_queue": None}


def test_a_refused_transfer_changes_nothing(world: World) -> None:
    sales = world.queue("Sales")
    full = world.queue("Full", max_size=0)
    ann = world.agent(queues=[sales])
    chat = do_open_interaction(channel="chat", queue=sales)
    do_accept_offer(pending(chat).pk, ann.user)
    chat.refresh_from_db()
    before = shape(chat)
    with pytest.raises(QueueFull):
        do_transfer(chat, ann.user, to_queue=full)
    chat.refresh_from_db()
    assert chat.routing_status == "assigned" and chat.assigned_agent_id == ann.pk
    assert shape(chat) == before
    ann.refresh_from_db()
    assert ann.load_chat == 1


def test_max_wait_overflow_and_callback(world: World) -> None:
    callback = world.queue("Callback", max_wait_seconds=60, overflow_action=Queue.Overflow.CALLBACK)
    second = world.queue("Second")
    first = world.queue("First", max_wait_seconds=60, overflow_action=Queue.Overflow.QUEUE, overflow_queue=second)
    moved = do_open_interaction(channel="voice", queue=first)
    do_handle_max_wait(moved.pk)
    assert shape(moved) == [("queue", "flowed_out", None, first.pk), ("queue", "open", None, second.pk)]
    assert interaction_segments(moved.pk)[0].data["to_queue"] == second.pk
    waiting = do_open_interaction(channel="voice", queue=callback)
    do_handle_max_wait(waiting.pk)
    assert shape(waiting) == [("queue", "callback_requested", None, callback.pk)]


def test_a_full_queue_overflows_on_arrival_or_refuses_without_a_trace(world: World) -> None:
    spill = world.queue("Spill")
    small = world.queue("Small", max_size=0, overflow_action=Queue.Overflow.QUEUE, overflow_queue=spill)
    closed_door = world.queue("Closed door", max_size=0)
    chat = do_open_interaction(channel="chat", queue=small)
    assert shape(chat) == [("queue", "flowed_out", None, small.pk), ("queue", "open", None, spill.pk)]
    assert interaction_segments(chat.pk)[0].seconds == 0
    count = Interaction.objects.count()
    with pytest.raises(QueueFull):
        do_open_interaction(channel="chat", queue=closed_door, contact=Contact.objects.create(name="Ann"))
    assert Interaction.objects.count() == count
    assert not Interaction.objects.filter(queue=closed_door).exists()


def test_the_queue_maximum_holds_under_concurrent_arrivals(world: World, tenant: TenantInfo) -> None:
    q = world.queue("Tight", max_size=3)
    schema = tenant.schema_name
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def arrive() -> None:
        try:
            connection.set_schema(schema)
            barrier.wait(timeout=10)
            try:
                do_open_interaction(channel="chat", queue=Queue.objects.get(pk=q.pk))
                outcomes.append("queued")
            except QueueFull:
                outcomes.append("full")
            except Exception as exc:
                outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=arrive) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["full"] * 5 + ["queued"] * 3, outcomes
    assert Interaction.objects.filter(queue=q, routing_status="queued").count() == 3


def _call(world: World, queue: Queue, contact_name: str = "Caller") -> Any:
    from apps.media.actions import do_start_call

    return do_start_call(
        contact=Contact.objects.create(name=contact_name), queue=queue, mode="audio", context={}, page={}, attributes={}
    )


def test_a_call_held_conferenced_and_warm_transferred(world: World) -> None:
    from apps.media.actions import Seat, do_answer_call, do_hold_call, do_invite_to_call, do_join_call
    from apps.media.actions.transfers import do_transfer_call

    q = world.queue("Phones")
    ann = world.agent(queues=[q])
    expert = world.agent(queues=[])
    call = _call(world, q)
    interaction = call.interaction
    accepted = do_accept_offer(pending(interaction).pk, ann.user)
    do_answer_call(accepted, ann.user)
    ann_seat, _ = do_join_call(call.call_id, ann.user)
    do_hold_call(ann_seat, True)
    do_hold_call(ann_seat, False)
    do_invite_to_call(ann_seat, expert.user_id)
    expert_seat, _ = do_join_call(call.call_id, expert.user)
    assert expert_seat.role == "guest"
    do_transfer_call(ann_seat, to_agent_id=expert.user_id)
    rows = shape(interaction)
    assert rows == [
        ("queue", "answered", None, q.pk),
        ("offer", "accepted", ann.pk, q.pk),
        ("handling", "transferred", ann.pk, q.pk),
        ("hold", "resumed", ann.pk, q.pk),
        ("handling", "completed", expert.pk, q.pk),
        ("transfer", "warm", ann.pk, q.pk),
        ("handling", "open", expert.pk, q.pk),
    ]
    hold = seg(interaction, "hold")
    ann_handling = seg(interaction, "handling", ann)
    assert ann_handling.data["hold_seconds"] == pytest.approx(hold.seconds, abs=0.002)
    assert ann_handling.data["talk_seconds"] + ann_handling.data["hold_seconds"] == pytest.approx(
        ann_handling.seconds, abs=0.002
    )
    conference = [s for s in interaction_segments(interaction.pk) if s.agent_id == expert.pk and s.kind == "handling"]
    assert conference[0].data["role"] == "conference"
    # The expert, now the call's agent, hangs up: the call ends and their handling completes.
    from apps.media.actions import do_leave_call

    do_leave_call(Seat(call.call_id, expert_seat.party, "agent"))
    final = shape(interaction)
    assert final[-1] == ("handling", "completed", expert.pk, q.pk)
    assert all(s.ended_at is not None for s in interaction_segments(interaction.pk))


def test_a_guest_who_leaves_and_a_caller_who_hangs_up_while_ringing(world: World) -> None:
    from apps.media.actions import Seat, do_answer_call, do_invite_to_call, do_join_call, do_leave_call

    q = world.queue("Phones")
    ann = world.agent(queues=[q])
    sup = world.agent(queues=[])
    call = _call(world, q)
    do_answer_call(do_accept_offer(pending(call.interaction).pk, ann.user), ann.user)
    ann_seat, _ = do_join_call(call.call_id, ann.user)
    do_invite_to_call(ann_seat, sup.user_id)
    sup_seat, _ = do_join_call(call.call_id, sup.user)
    do_leave_call(sup_seat)
    assert seg(call.interaction, "handling", sup).outcome == "left"
    do_leave_call(ann_seat)
    assert seg(call.interaction, "handling", ann).outcome == "completed"

    ringing = _call(world, q, "Impatient")
    offer = pending(ringing.interaction)
    do_leave_call(Seat(ringing.call_id, "customer", "customer"))
    assert shape(ringing.interaction) == [
        ("queue", "abandoned", None, q.pk),
        ("offer", "cancelled", offer.agent_id, q.pk),
    ]


def test_the_first_agent_reply_is_the_first_response(world: World) -> None:
    """A private note is not a response; the agent's first reply is, and later replies leave it where it
    was (the chat hot path: tests/inbox/test_chat_browser.py)."""
    from apps.inbox.actions import do_agent_reply, do_post_message

    q = world.queue("Support")
    ann = world.agent(queues=[q])
    chat = do_open_interaction(channel="chat", queue=q, subject="Where is my order?")
    do_accept_offer(pending(chat).pk, ann.user)
    chat.refresh_from_db()
    do_post_message(chat, kind="customer", body="Hello?")
    do_agent_reply(chat, ann.user, "Looking at it", note=True)
    chat.refresh_from_db()
    assert chat.first_response_at is None
    do_agent_reply(chat, ann.user, "Hi! It left this morning.")
    chat.refresh_from_db()
    first = chat.first_response_at
    assert first is not None and chat.created_at <= first <= timezone.now()
    do_agent_reply(chat, ann.user, "Anything else?")
    chat.refresh_from_db()
    assert chat.first_response_at == first
