"""Matching rules of the ACD, each on real rows in PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.agents.models import AgentState, RoutingSettings
from apps.inbox.models import Interaction
from apps.routing import engine
from apps.routing.models import Queue
from tests.routing.conftest import World


def waiting(
    queue: Queue,
    channel: str = "chat",
    *,
    waited: float = 0,
    priority: int = 0,
    preferred: object = None,
    attributes: dict[str, object] | None = None,
) -> Interaction:
    now = timezone.now()
    start = now - timedelta(seconds=waited)
    preferred_wait = queue.preferred_agent_wait_seconds if preferred else 0
    return Interaction.objects.create(
        channel=channel,
        queue=queue,
        priority=priority,
        attributes=attributes or {},
        enqueued_at=start,
        steps_start_at=start + timedelta(seconds=preferred_wait),
        preferred_agent=preferred,  # type: ignore[misc]
    )


def offered_to(interaction: Interaction) -> int | None:
    made = engine.offer_interaction(interaction.pk)
    return made.agent_id if made else None


def test_bullseye_steps_widen_over_waiting_time(world: World) -> None:
    q = world.queue("Billing", steps=[('skills.billing >= 4 and language == "zh"', 30), ("skills.billing >= 2", 60)])
    expert_en = world.agent(skills={"billing": 5}, languages=["en"], queues=[q], idle_seconds_ago=300)
    mid = world.agent(skills={"billing": 2}, languages=["en"], queues=[q], idle_seconds_ago=200)
    novice = world.agent(skills={"billing": 1}, queues=[q], idle_seconds_ago=100)
    expert_zh = world.agent(skills={"billing": 4}, languages=["zh"], queues=[q], idle_seconds_ago=10)

    # Step 1 (first 30 s): only a billing expert who speaks Chinese, although others idle longer.
    assert offered_to(waiting(q, waited=5)) == expert_zh.pk
    # Step 2 (30-90 s): billing >= 2, longest idle first.
    assert offered_to(waiting(q, waited=45)) == expert_en.pk
    assert offered_to(waiting(q, waited=50)) == mid.pk  # expert_en holds one chat; still has room but idled less?
    # After every step ran out (90 s): anyone in the queue.
    assert offered_to(waiting(q, waited=95)) == novice.pk


def test_nobody_eligible_in_step_one_means_the_interaction_waits(world: World) -> None:
    q = world.queue("Sales", steps=[("skills.sales >= 5", 30), ("true", None)])
    world.agent(skills={"sales": 3}, queues=[q])
    fresh = waiting(q, waited=1)
    assert offered_to(fresh) is None
    fresh.refresh_from_db()
    assert fresh.routing_status == "queued"
    assert engine.queue_plan(q.pk).next_boundary(1) == 30


def test_preferred_agent_gets_it_first_then_everyone(world: World) -> None:
    q = world.queue("Accounts", preferred_agent_wait_seconds=60)
    manager = world.agent(queues=[q], idle_seconds_ago=1)
    other = world.agent(queues=[q], idle_seconds_ago=500)
    assert offered_to(waiting(q, preferred=manager)) == manager.pk
    manager.state = AgentState.AWAY
    manager.save()
    still_preferred = waiting(q, preferred=manager, waited=10)
    assert offered_to(still_preferred) is None  # other is free, but it waits for its account manager
    past_wait = waiting(q, preferred=manager, waited=61)
    assert offered_to(past_wait) == other.pk


def test_longest_idle_first_and_proficiency_breaks_ties(world: World) -> None:
    q = world.queue("Tech", steps=[("skills.tech >= 1", None)])
    now = timezone.now()
    a = world.agent(skills={"tech": 2}, queues=[q])
    b = world.agent(skills={"tech": 5}, queues=[q])
    c = world.agent(skills={"tech": 3}, queues=[q])
    for agent, ago in ((a, 100), (b, 100), (c, 50)):
        agent.idle_since = now - timedelta(seconds=ago)
        agent.save(update_fields=["idle_since"])
    assert offered_to(waiting(q, channel="email")) == b.pk  # a and b idle equally long; b is more proficient
    assert offered_to(waiting(q, channel="email")) == a.pk


def test_never_above_capacity_and_calls_block_chats(world: World) -> None:
    q = world.queue("Support")
    agent = world.agent(queues=[q], capacity_chat=2)
    chats = [waiting(q) for _ in range(3)]
    assert [offered_to(c) for c in chats] == [agent.pk, agent.pk, None]
    agent.refresh_from_db()
    assert agent.load_chat == 2
    other = world.agent(queues=[q])
    call = waiting(q, channel="voice")
    assert offered_to(call) == other.pk  # agent has open chats, calls are allowed by default ...
    assert offered_to(waiting(q)) is None  # ... but other is on a call now, which blocks new chats
    settings = RoutingSettings.load()
    settings.chats_block_calls = True
    settings.save()
    engine._cache.clear()
    assert offered_to(waiting(q, channel="voice")) is None  # agent has chats, other is on a call


def test_agent_takes_highest_priority_then_oldest_and_priority_ages(world: World) -> None:
    q = world.queue("Main", priority_aging_per_minute=1.0)
    old_low = waiting(q, waited=600, priority=0)  # aged to 10
    new_high = waiting(q, waited=5, priority=5)
    older_mid = waiting(q, waited=240, priority=2)  # aged to 6
    agent = world.agent(queues=[q], capacity_email=0, capacity_chat=3)
    picked = [engine.offer_to_agent(agent.pk) for _ in range(3)]
    assert [p.interaction_id for p in picked if p] == [old_low.pk, older_mid.pk, new_high.pk]


def test_higher_priority_queue_is_served_first(world: World) -> None:
    low = world.queue("Low", priority=0)
    high = world.queue("High", priority=10)
    first = waiting(low, waited=300)
    urgent = waiting(high, waited=1)
    agent = world.agent(queues=[low, high], capacity_chat=1)
    made = engine.offer_to_agent(agent.pk)
    assert made is not None and made.interaction_id == urgent.pk
    assert first.pk != urgent.pk


def test_agent_free_path_respects_each_interactions_step(world: World) -> None:
    q = world.queue("Billing", steps=[('skills.billing >= 4 and language == "zh"', 30), ("skills.billing >= 2", 60)])
    young = waiting(q, waited=5)  # needs an expert in Chinese
    older = waiting(q, waited=40)  # billing >= 2 is enough
    mid = world.agent(skills={"billing": 3}, languages=["en"], queues=[q])
    made = engine.offer_to_agent(mid.pk)
    assert made is not None and made.interaction_id == older.pk
    assert engine.offer_to_agent(mid.pk) is None  # young is not for this agent yet
    Interaction.objects.filter(pk=young.pk).update(steps_start_at=timezone.now() - timedelta(seconds=35))
    made = engine.offer_to_agent(mid.pk)
    assert made is not None and made.interaction_id == young.pk


def test_declined_agents_and_non_members_and_unavailable_agents_are_skipped(world: World) -> None:
    q = world.queue("Q")
    other_q = world.queue("Other")
    outsider = world.agent(queues=[other_q], idle_seconds_ago=900)
    away = world.agent(queues=[q], state=AgentState.AWAY, idle_seconds_ago=800)
    wrap = world.agent(queues=[q], state=AgentState.WRAP_UP, idle_seconds_ago=700)
    decliner = world.agent(queues=[q], idle_seconds_ago=600)
    taker = world.agent(queues=[q], idle_seconds_ago=1)
    item = waiting(q)
    Interaction.objects.filter(pk=item.pk).update(declined_agent_ids=[decliner.pk])
    assert offered_to(item) == taker.pk
    assert {outsider.pk, away.pk, wrap.pk}.isdisjoint({taker.pk})
    assert engine.offer_to_agent(decliner.pk) is None


def test_interaction_attributes_route_vip_to_seniors(world: World) -> None:
    q = world.queue("VIP", steps=[("interaction.vip == true and agent.senior == true", None)])
    junior = world.agent(queues=[q], attributes={"senior": False}, idle_seconds_ago=100)
    senior = world.agent(queues=[q], attributes={"senior": True})
    assert offered_to(waiting(q, attributes={"vip": True})) == senior.pk
    assert offered_to(waiting(q, attributes={"vip": False})) is None
    assert junior.pk != senior.pk


def test_agent_path_tests_interaction_attributes(world: World) -> None:
    rule = "interaction.vip == true and agent.senior == true or interaction.vip == false"
    q = world.queue("Shop", steps=[(rule, None)])
    vip = waiting(q, waited=60, attributes={"vip": True})
    plain = waiting(q, waited=30, attributes={"vip": False})
    junior = world.agent(queues=[q], attributes={"senior": False})
    senior = world.agent(queues=[q], attributes={"senior": True})
    made = engine.offer_to_agent(junior.pk)
    assert made is not None and made.interaction_id == plain.pk  # the older VIP is not for a junior
    assert engine.offer_to_agent(junior.pk) is None
    made = engine.offer_to_agent(senior.pk)
    assert made is not None and made.interaction_id == vip.pk


def test_changes_to_an_agent_count_at_once_although_its_card_is_cached(world: World) -> None:
    from apps.agents.actions import do_set_skills

    billing = world.queue("Billing", steps=[("skills.billing >= 4", None)])
    chinese = world.queue("Chinese", steps=[('language == "zh"', None)])
    other = world.queue("Other")
    agent = world.agent(skills={"billing": 2}, languages=["en"], queues=[billing, chinese], capacity_chat=9)
    bill = waiting(billing)
    assert engine.offer_to_agent(agent.pk) is None  # its card is cached from here on
    do_set_skills(agent, {"billing": 5})
    assert engine.offer_to_agent(agent.pk).interaction_id == bill.pk  # type: ignore[union-attr]
    zh = waiting(chinese)
    assert engine.offer_to_agent(agent.pk) is None
    agent.refresh_from_db()
    agent.languages = ["en", "zh"]
    agent.save()
    assert engine.offer_to_agent(agent.pk).interaction_id == zh.pk  # type: ignore[union-attr]
    elsewhere = waiting(other)
    assert engine.offer_to_agent(agent.pk) is None
    other.members.add(agent)
    assert engine.offer_to_agent(agent.pk).interaction_id == elsewhere.pk  # type: ignore[union-attr]
    other.members.remove(agent)
    waiting(other)
    assert engine.offer_to_agent(agent.pk) is None  # no longer a member


def test_best_candidates_locked_by_other_deciders_are_passed_over(world: World) -> None:
    from django.db import connection, connections

    q = world.queue("Busy")
    items = [waiting(q, waited=100 - n) for n in range(engine._TOP + 3)]  # oldest first
    agent = world.agent(queues=[q], capacity_chat=1)
    other = connections.create_connection("default")
    other.set_schema(connection.schema_name)
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            locked = [i.pk for i in items[: engine._TOP + 1]]  # more than the decision ranks at first
            cursor.execute("SELECT id FROM inbox_interaction WHERE id = ANY(%s) FOR UPDATE", [locked])
            made = engine.offer_to_agent(agent.pk)
            cursor.execute("ROLLBACK")
    finally:
        other.close()
    assert made is not None and made.interaction_id == items[engine._TOP + 1].pk  # the best one not locked


def test_a_rolled_back_decision_leaves_nothing_and_the_next_one_works(world: World) -> None:
    import pytest
    from django.db import transaction

    from apps.routing.models import Offer

    q = world.queue("Q")
    item = waiting(q)
    agent = world.agent(queues=[q], capacity_chat=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert engine.offer_to_agent(agent.pk) is not None
        raise RuntimeError("the caller's transaction fails")
    item.refresh_from_db()
    agent.refresh_from_db()
    assert item.routing_status == "queued" and agent.load_chat == 0 and not Offer.objects.exists()
    made = engine.offer_to_agent(agent.pk)
    assert made is not None and made.interaction_id == item.pk


def test_decisions_on_one_connection_stay_in_their_tenant(world: World, tenant: object) -> None:
    from django.db import connection

    from apps.routing.models import Offer
    from apps.widget.models import WidgetKey
    from tests.conftest import create_tenant
    from tests.routing.conftest import World as Builder

    q = world.queue("Same")
    mine = waiting(q)
    agent = world.agent(queues=[q])
    here = connection.schema_name
    connection.set_schema_to_public()
    there = create_tenant("r").schema_name
    connection.set_schema(there)
    WidgetKey.objects.all().delete()  # as the tenant fixture does: start without the default queue
    Queue.objects.all().delete()
    other_world = Builder()
    their_q = other_world.queue("Same")
    theirs = waiting(their_q)
    their_agent = other_world.agent(queues=[their_q])
    assert (their_agent.pk, their_q.pk) == (agent.pk, q.pk)  # the same ids in both schemas
    made = engine.offer_to_agent(their_agent.pk)  # the same statement shape, another tenant
    assert made is not None and made.interaction_id == theirs.pk
    assert Offer.objects.get().interaction_id == theirs.pk
    connection.set_schema(here)
    assert not Offer.objects.exists()
    made = engine.offer_to_agent(agent.pk)
    assert made is not None and made.interaction_id == mine.pk
    assert Offer.objects.get().interaction_id == mine.pk
