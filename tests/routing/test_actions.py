"""Enqueue, offer, accept, reject, time out, overflow, closed queues, suspension, wrap-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState, ReasonCode
from apps.core.events import user_group
from apps.inbox.actions import do_open_interaction
from apps.inbox.models import Interaction
from apps.routing.actions import (
    QueueClosed,
    QueueFull,
    RoutingSuspended,
    do_accept_offer,
    do_complete_interaction,
    do_expire_offer,
    do_handle_max_wait,
    do_reject_offer,
)
from apps.routing.models import BusinessHours, Holiday, Offer
from apps.tenants.models import Tenant
from tests.conftest import TenantInfo
from tests.events import Listener
from tests.routing.conftest import World


def pending_offer(interaction: Interaction) -> Offer | None:
    return Offer.objects.filter(interaction=interaction, status="pending").first()


def listen(group: str) -> Listener:
    return Listener(group)


def test_enqueued_interaction_is_offered_and_accepted(world: World, tenant: TenantInfo) -> None:
    q = world.queue("Support")
    agent = world.agent(queues=[q])
    listener = listen(user_group(tenant.schema_name, agent.user_id))
    interaction = do_open_interaction(channel="chat", queue=q, attributes={"tier": "gold"}, subject="Refund")
    offer = pending_offer(interaction)
    assert offer is not None and offer.agent_id == agent.pk
    event = listener.next()
    assert event["type"] == "offer.created"
    assert event["offer"]["interaction_id"] == interaction.pk
    assert event["offer"]["subject"] == "Refund" and event["offer"]["attributes"] == {"tier": "gold"}
    assert (offer.expires_at - offer.created_at).total_seconds() == pytest.approx(20, abs=1)
    done = do_accept_offer(offer.pk, agent.user)
    assert done.routing_status == "assigned" and done.assignee_id == agent.user_id
    assert listener.next()["type"] == "offer.ended"
    listener.close()
    agent.refresh_from_db()
    assert agent.load_chat == 1


def test_rejected_offer_goes_to_the_next_agent_and_not_back(world: World) -> None:
    q = world.queue("Support")
    first = world.agent(queues=[q], idle_seconds_ago=100)
    second = world.agent(queues=[q], idle_seconds_ago=10)
    interaction = do_open_interaction(channel="chat", queue=q)
    offer = pending_offer(interaction)
    assert offer is not None and offer.agent_id == first.pk
    do_reject_offer(offer.pk, first.user)
    nxt = pending_offer(interaction)
    assert nxt is not None and nxt.agent_id == second.pk
    first.refresh_from_db()
    assert first.load_chat == 0
    do_reject_offer(nxt.pk, second.user)
    interaction.refresh_from_db()
    assert interaction.routing_status == "queued" and pending_offer(interaction) is None
    assert sorted(interaction.declined_agent_ids) == sorted([first.pk, second.pk])


def test_accepting_someone_elses_or_a_finished_offer_is_refused(world: World) -> None:
    from apps.core.errors import ApplicationError, NotFound

    q = world.queue("Support")
    agent = world.agent(queues=[q])
    intruder = world.agent()
    interaction = do_open_interaction(channel="chat", queue=q)
    offer = pending_offer(interaction)
    assert offer is not None
    with pytest.raises(NotFound):
        do_accept_offer(offer.pk, intruder.user)
    do_accept_offer(offer.pk, agent.user)
    with pytest.raises(ApplicationError) as err:
        do_accept_offer(offer.pk, agent.user)
    assert err.value.code == "offer_not_pending"


def test_timed_out_offers_move_on_and_too_many_set_the_agent_away(world: World) -> None:
    q = world.queue("Support")
    sleepy = world.agent(queues=[q], idle_seconds_ago=1000)
    awake = world.agent(queues=[q], idle_seconds_ago=1, capacity_chat=10)
    for n in range(3):
        interaction = do_open_interaction(channel="chat", queue=q)
        offer = pending_offer(interaction)
        assert offer is not None and offer.agent_id == sleepy.pk, n
        assert do_expire_offer(offer.pk) is False  # not due yet: nothing happens
        Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert do_expire_offer(offer.pk) is True
        assert do_expire_offer(offer.pk) is False  # idempotent
        moved = pending_offer(interaction)
        assert moved is not None and moved.agent_id == awake.pk
    sleepy.refresh_from_db()
    assert sleepy.state == AgentState.AWAY
    assert sleepy.state_reason == ReasonCode.objects.get(name="Missed offers")
    assert sleepy.load_chat == 0
    assert list(sleepy.presence_history.values_list("state", "cause"))[-1] == ("away", "missed_offers")


def test_agent_going_away_hands_ringing_offers_to_others(world: World) -> None:
    q = world.queue("Support")
    leaving = world.agent(queues=[q], idle_seconds_ago=100)
    staying = world.agent(queues=[q])
    interaction = do_open_interaction(channel="chat", queue=q)
    assert pending_offer(interaction).agent_id == leaving.pk  # type: ignore[union-attr]
    do_set_agent_state(leaving, AgentState.AWAY)
    assert pending_offer(interaction).agent_id == staying.pk  # type: ignore[union-attr]
    assert Offer.objects.get(interaction=interaction, agent=leaving).status == "cancelled"


def test_agent_becoming_available_picks_up_waiting_work(world: World) -> None:
    q = world.queue("Support")
    agent = world.agent(queues=[q], state=AgentState.OFFLINE, capacity_chat=2)
    items = [do_open_interaction(channel="chat", queue=q) for _ in range(3)]
    assert all(pending_offer(i) is None for i in items)
    do_set_agent_state(agent, AgentState.AVAILABLE)
    assert [pending_offer(i) is not None for i in items] == [True, True, False]  # capacity 2, oldest first


def test_completing_work_frees_capacity_after_wrap_up(world: World) -> None:
    q = world.queue("Support", wrap_up_seconds=30)
    agent = world.agent(queues=[q], capacity_chat=1)
    first = do_open_interaction(channel="chat", queue=q)
    do_accept_offer(pending_offer(first).pk, agent.user)  # type: ignore[union-attr]
    second = do_open_interaction(channel="chat", queue=q)
    assert pending_offer(second) is None
    do_complete_interaction(first.pk)
    agent.refresh_from_db()
    assert agent.state == AgentState.WRAP_UP and agent.load_chat == 0
    assert pending_offer(second) is None  # no new work during wrap-up
    from apps.agents.actions import do_end_wrap_up

    do_end_wrap_up(agent.pk)
    assert pending_offer(second).agent_id == agent.pk  # type: ignore[union-attr]


def test_closed_queue_refuses_new_work(world: World) -> None:
    hours = BusinessHours.objects.create(name="Never", timezone="Europe/Berlin", weekly={})
    q = world.queue("Night", business_hours=hours)
    with pytest.raises(QueueClosed) as err:
        do_open_interaction(channel="chat", queue=q)
    assert err.value.code == "queue_closed" and "Night is closed now" in err.value.message
    always = BusinessHours.objects.create(
        name="Always",
        timezone="UTC",
        weekly={d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    )
    q.business_hours = always
    q.save()
    Holiday.objects.create(hours=always, date=timezone.now().date(), name="Today")
    with pytest.raises(QueueClosed):
        do_open_interaction(channel="chat", queue=q)


def test_full_queue_overflows_to_another_queue_or_offers_a_callback(world: World) -> None:
    spill = world.queue("Spill")
    q = world.queue("Small", max_size=1, overflow_action="queue", overflow_queue=spill)
    first = do_open_interaction(channel="chat", queue=q)
    second = do_open_interaction(channel="chat", queue=q)
    assert (first.queue_id, second.queue_id) == (q.pk, spill.pk)
    cb = world.queue("Callback", max_size=0, overflow_action="callback")
    with pytest.raises(QueueFull) as err:
        do_open_interaction(channel="voice", queue=cb)
    assert err.value.code == "callback_offered"


def test_max_wait_applies_the_overflow_action(world: World) -> None:
    spill = world.queue("Spill")
    helper = world.agent(queues=[spill])
    q = world.queue("Slow", max_wait_seconds=60, overflow_action="queue", overflow_queue=spill)
    interaction = do_open_interaction(channel="chat", queue=q)
    do_handle_max_wait(interaction.pk)
    interaction.refresh_from_db()
    assert interaction.queue_id == spill.pk
    assert pending_offer(interaction).agent_id == helper.pk  # type: ignore[union-attr]
    cb = world.queue("CB", max_wait_seconds=60, overflow_action="callback")
    waiting = do_open_interaction(channel="voice", queue=cb)
    do_handle_max_wait(waiting.pk)
    waiting.refresh_from_db()
    assert waiting.routing_status == "callback"


def test_suspended_tenant_routes_nothing(world: World, tenant: TenantInfo) -> None:
    from apps.routing import engine

    q = world.queue("Support")
    world.agent(queues=[q])
    Tenant.objects.filter(pk=tenant.tenant.pk).update(status=Tenant.Status.SUSPENDED)
    engine._cache.clear()
    with pytest.raises(RoutingSuspended):
        do_open_interaction(channel="chat", queue=q)
    Tenant.objects.filter(pk=tenant.tenant.pk).update(status=Tenant.Status.ACTIVE)
    engine._cache.clear()
    assert pending_offer(do_open_interaction(channel="chat", queue=q)) is not None


def test_bad_channel_and_attributes_are_refused(world: World) -> None:
    from apps.core.errors import ValidationFailed

    q = world.queue("Support")
    with pytest.raises(ValidationFailed) as err:
        do_open_interaction(channel="fax", queue=q)
    assert "channel" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        do_open_interaction(channel="chat", queue=q, attributes={"vip": "yes", "cart_value": "lots"})
    assert err.value.fields["attributes"] == ["vip must be true or false.", "cart_value must be a number."]
    with pytest.raises(ValidationFailed):
        do_open_interaction(channel="chat", queue=q, attributes=["not", "an", "object"])
    assert not Interaction.objects.filter(queue=q).exists()
