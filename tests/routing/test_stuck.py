"""No customer is ever stuck: an agent who declined or missed an interaction is offered it again
after the tenant's cool-down when nobody else took it (never while another eligible agent is free);
supervisors can give waiting work to anyone; agents may pick from their queues where allowed."""

from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.agents.models import AgentProfile, AgentState, RoutingSettings
from apps.core.errors import ApplicationError, NotFound, PermissionDenied
from apps.inbox.actions import do_open_interaction, do_resolve
from apps.inbox.models import Interaction
from apps.inbox.selectors import interaction_segments
from apps.routing import engine, timers
from apps.routing.actions import (
    do_accept_offer,
    do_assign_interaction,
    do_expire_offer,
    do_forgive_declines,
    do_pick_interaction,
    do_reject_offer,
)
from apps.routing.models import Offer
from tests.conftest import TenantInfo
from tests.processes import Proc, wait_until
from tests.routing.conftest import World


def pending(interaction: Interaction) -> Offer | None:
    return Offer.objects.filter(interaction=interaction, status="pending").first()


def policy(**fields: object) -> None:
    settings = RoutingSettings.load()
    for key, value in fields.items():
        setattr(settings, key, value)
    settings.save()
    engine.forget_cached_plans()


def test_the_only_agent_who_declined_gets_it_again_after_the_cool_down(world: World, tenant: TenantInfo) -> None:
    q = world.queue("Support")
    solo = world.agent(queues=[q])
    chat = do_open_interaction(channel="chat", queue=q)
    offer = pending(chat)
    assert offer is not None
    do_reject_offer(offer.pk, solo.user)
    assert pending(chat) is None
    due = timers.due_at(tenant.schema_name, timers.DECLINED, chat.pk)
    assert due == pytest.approx(time.time() + 15, abs=2)  # the default cool-down
    do_forgive_declines(chat.pk)  # woken early: the cool-down is not over, nothing is offered
    assert pending(chat) is None
    assert timers.due_at(tenant.schema_name, timers.DECLINED, chat.pk) == pytest.approx(due, abs=1)
    cooled_down(chat)
    do_forgive_declines(chat.pk)  # what the timer runs when it is due
    again = pending(chat)
    assert again is not None and again.agent_id == solo.pk
    # Missed (timed out) works the same way.
    Offer.objects.filter(pk=again.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert do_expire_offer(again.pk)
    assert pending(chat) is None
    cooled_down(chat)
    do_forgive_declines(chat.pk)
    third = pending(chat)
    assert third is not None and third.agent_id == solo.pk


def test_another_free_agent_is_preferred_to_the_one_who_declined(world: World) -> None:
    q = world.queue("Support")
    decliner = world.agent(queues=[q], idle_seconds_ago=500)
    busy = world.agent(queues=[q], idle_seconds_ago=10, capacity_chat=1)
    other = do_open_interaction(channel="chat", queue=q)
    first = pending(other)
    assert first is not None and first.agent_id == decliner.pk
    do_reject_offer(first.pk, decliner.user)
    assert pending(other).agent_id == busy.pk  # type: ignore[union-attr]
    do_accept_offer(pending(other).pk, busy.user)  # type: ignore[union-attr]
    chat = do_open_interaction(channel="chat", queue=q)
    do_reject_offer(pending(chat).pk, decliner.user)  # type: ignore[union-attr]
    assert pending(chat) is None  # the busy agent has no room; the decliner waits out the cool-down
    other.refresh_from_db()
    do_resolve(other, busy.user)  # the other agent is free now, and takes it before any cool-down
    offered = pending(chat)
    assert offered is not None and offered.agent_id == busy.pk
    do_reject_offer(offered.pk, busy.user)
    cooled_down(chat)
    do_forgive_declines(chat.pk)  # both declined; nobody else: both may have it again
    assert pending(chat) is not None


def test_a_later_decline_does_not_push_back_an_earlier_agents_cool_down(world: World, tenant: TenantInfo) -> None:
    """Each agent's cool-down runs from their own decline: when the first one's ends, they get the
    interaction again, while the agent who declined later still waits out theirs."""
    q = world.queue("Support")
    first = world.agent(queues=[q], idle_seconds_ago=500)
    second = world.agent(queues=[q], idle_seconds_ago=10)
    chat = do_open_interaction(channel="chat", queue=q)
    do_reject_offer(pending(chat).pk, first.user)  # type: ignore[union-attr]
    offered = pending(chat)  # the other agent is free: no cool-down timer yet
    assert offered is not None and offered.agent_id == second.pk
    Offer.objects.filter(interaction=chat, agent=first).update(decided_at=timezone.now() - timedelta(seconds=14))
    do_reject_offer(offered.pk, second.user)
    # The timer is due at the first agent's end (in a second), not the second's (15 s later).
    assert timers.due_at(tenant.schema_name, timers.DECLINED, chat.pk) == pytest.approx(time.time() + 1, abs=1)
    Offer.objects.filter(interaction=chat, agent=first).update(decided_at=timezone.now() - timedelta(seconds=16))
    do_forgive_declines(chat.pk)
    again = pending(chat)
    assert again is not None and again.agent_id == first.pk
    chat.refresh_from_db()
    assert chat.declined_agent_ids == [second.pk]  # still cooling down
    # Set again for the second agent's end.
    assert timers.due_at(tenant.schema_name, timers.DECLINED, chat.pk) == pytest.approx(time.time() + 15, abs=2)


def cooled_down(chat: Interaction) -> None:
    """As if the cool-down had passed since every decline of the interaction."""
    Offer.objects.filter(interaction=chat, decided_at__isnull=False).update(
        decided_at=timezone.now() - timedelta(seconds=16)
    )


def test_a_supervisor_assigns_waiting_work_and_an_agent_picks_it_when_allowed(world: World, tenant: TenantInfo) -> None:
    q = world.queue("Support")
    away = world.agent(queues=[q], state=AgentState.AWAY)
    ringing_at = world.agent(queues=[q])
    chat = do_open_interaction(channel="chat", queue=q)
    offer = pending(chat)
    assert offer is not None and offer.agent_id == ringing_at.pk
    supervisor = User.objects.create_user(email="sup@x.test", password="x", role=User.Role.SUPERVISOR)
    assigned = do_assign_interaction(chat.pk, away, actor=supervisor)
    assert assigned.routing_status == "assigned" and assigned.assignee_id == away.user_id
    offer.refresh_from_db()
    assert offer.status == "cancelled"
    away.refresh_from_db()
    ringing_at.refresh_from_db()
    assert away.load_chat == 1 and ringing_at.load_chat == 0
    kinds = [(s.kind, s.outcome, s.agent_id) for s in interaction_segments(chat.pk)]
    assert kinds == [
        ("queue", "answered", None),
        ("offer", "cancelled", ringing_at.pk),
        ("handling", "", away.pk),
    ]
    with pytest.raises(ApplicationError) as err:
        do_assign_interaction(chat.pk, ringing_at, actor=supervisor)
    assert err.value.code == "not_waiting"

    # Over the API: agents may not assign; picking is off until the tenant allows it.
    waiting = do_open_interaction(channel="chat", queue=q)
    agent_client = Client(HTTP_HOST=tenant.host)
    agent_client.force_login(away.user)
    response = agent_client.post(
        f"/api/v1/interactions/{waiting.pk}/assign", {"agent": away.pk}, content_type="application/json"
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        do_pick_interaction(waiting.pk, away.user)
    policy(agents_may_pick=True)
    outsider = world.agent(queues=[])
    with pytest.raises(NotFound):
        do_pick_interaction(waiting.pk, outsider.user)
    response = agent_client.post(f"/api/v1/interactions/{waiting.pk}/pick")
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == away.user_id
    sup_client = Client(HTTP_HOST=tenant.host)
    sup_client.force_login(supervisor)
    third = do_open_interaction(channel="chat", queue=q)
    response = sup_client.post(
        f"/api/v1/interactions/{third.pk}/assign", {"agent": outsider.pk}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["assignee"] == outsider.user_id
    response = sup_client.post(f"/api/v1/interactions/{third.pk}/assign", {"agent": 0}, content_type="application/json")
    assert response.status_code == 400


def test_randomised_no_customer_waits_on_an_idle_eligible_agent(
    world: World, tenant: TenantInfo, celery_beat: Proc
) -> None:
    """Agents who reject, ignore, accept and finish at random, with the real engine, timers and beat:
    no interaction waits while an eligible agent with room stays idle longer than the cool-down plus
    a second (a timer fires up to a second late, as every routing timer does)."""
    cooldown = 2
    policy(decline_cooldown_seconds=cooldown, max_missed_offers=50)
    # Beat and the worker are up once they fire a timer (a cool-down of no interaction: a no-op).
    timers.set_timer(tenant.schema_name, timers.DECLINED, 0, time.time())
    wait_until(lambda: timers.due_at(tenant.schema_name, timers.DECLINED, 0) is None, 90, "beat's first sweep")
    rng = random.Random(20261201)
    sales = world.queue("Sales", offer_timeout_seconds=3)
    support = world.queue("Support", offer_timeout_seconds=3)
    agents = [
        world.agent(queues=[sales], capacity_chat=1),
        world.agent(queues=[sales, support], capacity_chat=2),
        world.agent(queues=[support], capacity_chat=1),
    ]
    for _ in range(5):
        do_open_interaction(channel="chat", queue=rng.choice([sales, support]))
    idle_since: dict[tuple[int, int], float] = {}
    worst = 0.0
    slowest_round = 0.0  # what one observation round takes: the resolution of the measurement
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        round_started = now = time.monotonic()
        # Each ringing offer: reject (40 %), ignore until it times out (30 %), or accept (30 %).
        for offer in Offer.objects.filter(status="pending", interaction__queue__in=[sales, support]):
            if offer.pk % 10 < 3 or rng.random() < 0.5:
                continue  # ignored this round (some will time out)
            choice = rng.random()
            try:
                if choice < 0.55:
                    do_reject_offer(offer.pk, offer.agent.user)
                else:
                    do_accept_offer(offer.pk, offer.agent.user)
            except ApplicationError:
                pass  # it timed out meanwhile
        # Some handled conversations end; new customers arrive.
        for interaction in Interaction.objects.filter(routing_status="assigned", status="open"):
            if rng.random() < 0.15:
                do_resolve(interaction, interaction.assignee)
        if rng.random() < 0.1:
            do_open_interaction(channel="chat", queue=rng.choice([sales, support]))
        # The invariant: a waiting interaction with no ringing offer, and an eligible agent with room.
        waiting = list(
            Interaction.objects.filter(routing_status="queued", queue__in=[sales, support]).values_list(
                "pk", "queue_id"
            )
        )
        free = {
            a.pk: set(a.queues.values_list("pk", flat=True))
            for a in AgentProfile.objects.filter(pk__in=[x.pk for x in agents], state=AgentState.AVAILABLE)
            if a.load_chat < a.capacity_chat
        }
        # An offer of the interaction to the agent since the wait began (it may ring and be declined
        # between two rounds: the cool-down starts again) restarts the wait from its end.
        last_decided: dict[tuple[int, int], float] = {}
        clock = now - time.time()  # wall clock -> this loop's monotonic clock
        for iid, aid, at in Offer.objects.filter(
            interaction_id__in=[w[0] for w in waiting], decided_at__isnull=False
        ).values_list("interaction_id", "agent_id", "decided_at"):
            last_decided[(iid, aid)] = max(last_decided.get((iid, aid), 0.0), at.timestamp() + clock)
        seen = set()
        for iid, qid in waiting:
            for aid, queues in free.items():
                if qid in queues:
                    key = (iid, aid)
                    seen.add(key)
                    started = idle_since[key] = max(idle_since.get(key, now), last_decided.get(key, 0.0))
                    worst = max(worst, now - started)
        for key in list(idle_since):
            if key not in seen:
                del idle_since[key]
        slowest_round = max(slowest_round, time.monotonic() - round_started)
        if worst > cooldown + 1.0 + slowest_round:
            details = []
            for (iid, aid), started in idle_since.items():
                if now - started > cooldown:
                    inter = Interaction.objects.get(pk=iid)
                    due = timers.due_at(tenant.schema_name, timers.DECLINED, iid)
                    offers = list(
                        Offer.objects.filter(interaction_id=iid).values_list(
                            "agent_id", "status", "created_at", "decided_at"
                        )
                    )
                    details.append(
                        (
                            iid,
                            aid,
                            now - started,
                            inter.declined_agent_ids,
                            due and due - time.time(),
                            offers,
                            timezone.now(),
                        )
                    )
            raise AssertionError(f"an interaction waited {worst:.1f}s on an idle eligible agent: {details}")
        time.sleep(0.1)  # the sampling interval of the observer, not a wait for a condition
    assert Offer.objects.filter(status="rejected").exists() and Offer.objects.filter(status="accepted").exists()
    assert Offer.objects.filter(status="timed_out").exists()
