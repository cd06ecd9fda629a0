"""Routing timers wait in a Redis sorted set and fire from beat: in time, once, in their tenant; with the
real Celery worker and beat, a ringing offer times out to the next agent, missed offers set an agent
away and a waiting interaction widens to the next routing step."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from apps.agents.models import AgentState, RoutingSettings
from apps.core import timers as core_timers
from apps.core.tenancy import current_schema
from apps.inbox.actions import do_open_interaction
from apps.inbox.models import Interaction
from apps.routing import engine, timers
from apps.routing.actions import do_accept_offer, do_reject_offer
from apps.routing.models import Offer
from tests.conftest import TenantInfo
from tests.processes import Proc, wait_until
from tests.routing.conftest import World

PROBE = "probe"


def with_probe(monkeypatch: pytest.MonkeyPatch, probe: Callable[[int], Any]) -> None:
    """The real handlers plus a `probe` kind (other tests' due timers still fire as usual)."""
    real = core_timers._handlers
    monkeypatch.setattr(core_timers, "_handlers", lambda: {**real(), PROBE: probe})


def pending(interaction: Interaction) -> Offer | None:
    return Offer.objects.filter(interaction=interaction, status="pending").first()


def test_a_timer_fires_once_when_due_inside_its_tenant(tenant: TenantInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    fired: list[tuple[str, int]] = []
    with_probe(monkeypatch, lambda obj_id: fired.append((current_schema(), obj_id)))
    schema = tenant.schema_name
    later = time.time() + 60
    timers.set_timer(schema, PROBE, 1, time.time() - 1)
    timers.set_timer(schema, PROBE, 2, later)
    timers.set_timer(schema, PROBE, 3, later)
    timers.set_timer(schema, PROBE, 3, time.time() - 1)  # moved: one timer per object, the latest wins
    connection.set_schema_to_public()
    timers.fire_due()
    assert sorted(fired) == [(schema, 1), (schema, 3)]
    assert timers.due_at(schema, PROBE, 1) is None
    # Untouched (however long the sweep took: other tests' due timers fire in it too).
    assert timers.due_at(schema, PROBE, 2) == pytest.approx(later, abs=0.01)
    timers.fire_due()
    assert len(fired) == 2  # fired once
    core_timers.get_redis().zrem(timers.KEY, timers.member(schema, PROBE, 2))


def test_parallel_sweeps_run_each_timer_once(tenant: TenantInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: dict[int, int] = {}
    lock = threading.Lock()

    def probe(obj_id: int) -> None:
        with lock:
            runs[obj_id] = runs.get(obj_id, 0) + 1

    with_probe(monkeypatch, probe)
    for n in range(300):
        timers.set_timer(tenant.schema_name, PROBE, n, time.time() - 1)

    def sweep() -> None:
        try:
            timers.fire_due()
        finally:
            connection.close()  # this thread's own connection, if a real timer of another test used it

    sweeps = [threading.Thread(target=sweep) for _ in range(4)]
    for sweep in sweeps:
        sweep.start()
    for sweep in sweeps:
        sweep.join()
    assert runs == {n: 1 for n in range(300)}


def test_a_failing_timer_is_kept_and_runs_again_later(tenant: TenantInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    def probe(obj_id: int) -> None:
        raise RuntimeError("database down")

    with_probe(monkeypatch, probe)
    timers.set_timer(tenant.schema_name, PROBE, 5, time.time() - 1)
    timers.fire_due()
    assert timers.due_at(tenant.schema_name, PROBE, 5) == pytest.approx(time.time() + timers.RETRY_SECONDS, abs=2)
    core_timers.get_redis().zrem(timers.KEY, timers.member(tenant.schema_name, PROBE, 5))


def test_timers_of_a_deleted_tenant_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    def probe(obj_id: int) -> None:
        Interaction.objects.count()  # the tenant's tables are gone

    with_probe(monkeypatch, probe)
    timers.set_timer("t_gone_for_good", PROBE, 1, time.time() - 1)
    timers.fire_due()
    assert timers.due_at("t_gone_for_good", PROBE, 1) is None


def test_an_offer_has_a_timer_until_it_ends(world: World, tenant: TenantInfo) -> None:
    q = world.queue("Support", offer_timeout_seconds=30)
    first = world.agent(queues=[q], idle_seconds_ago=100)
    second = world.agent(queues=[q])
    interaction = do_open_interaction(channel="chat", queue=q)
    offer = pending(interaction)
    assert offer is not None and offer.agent_id == first.pk
    schema = tenant.schema_name
    assert timers.due_at(schema, timers.OFFER, offer.pk) == pytest.approx(offer.expires_at.timestamp(), abs=0.01)
    do_reject_offer(offer.pk, first.user)
    assert timers.due_at(schema, timers.OFFER, offer.pk) is None
    moved = pending(interaction)
    assert moved is not None and moved.agent_id == second.pk
    assert timers.due_at(schema, timers.OFFER, moved.pk) is not None
    do_accept_offer(moved.pk, second.user)
    assert timers.due_at(schema, timers.OFFER, moved.pk) is None


def test_timers_fire_in_time_with_the_real_worker_and_beat(world: World, tenant: TenantInfo, celery_beat: Proc) -> None:
    settings = RoutingSettings.load()
    settings.max_missed_offers = 2
    settings.save()
    engine.forget_cached_plans()
    fast = world.queue("Fast", offer_timeout_seconds=3)
    sleepy = world.agent(queues=[fast], idle_seconds_ago=100, capacity_chat=1)
    backup = world.agent(queues=[fast], idle_seconds_ago=10, capacity_chat=1)
    world.skill("tax")
    experts = world.queue("Experts", steps=[("skills.tax >= 5", 3), ("true", None)])
    generalist = world.agent(queues=[experts])

    first = do_open_interaction(channel="chat", queue=fast)
    tax = do_open_interaction(channel="chat", queue=experts)
    started = time.monotonic()
    ringing = pending(first)
    assert ringing is not None and ringing.agent_id == sleepy.pk
    assert pending(tax) is None  # nobody has the tax skill: it waits for the next step (3 s)

    # Nobody answers: after its 3 s the offer times out and rings the next agent, who answers.
    wait_until(lambda: (p := pending(first)) is not None and p.agent_id == backup.pk, 10, "the next agent's offer")
    moved_after = time.monotonic() - started
    answered = pending(first)
    assert answered is not None
    do_accept_offer(answered.pk, backup.user)
    assert timers.due_at(tenant.schema_name, timers.OFFER, answered.pk) is None  # nothing left to fire
    # The waiting interaction widens to everyone after 3 s and is offered.
    wait_until(lambda: pending(tax) is not None, 10, "the widened step's offer")
    widened_after = time.monotonic() - started
    assert 3 <= moved_after < 6, moved_after
    assert 3 <= widened_after < 6, widened_after
    assert pending(tax).agent_id == generalist.pk  # type: ignore[union-attr]
    ringing.refresh_from_db()
    assert ringing.status == "timed_out" and ringing.decided_at is not None
    assert ringing.decided_at >= ringing.expires_at  # never early
    sleepy.refresh_from_db()
    assert sleepy.load_chat == 0 and sleepy.missed_offers_in_row == 1 and sleepy.state == AgentState.AVAILABLE

    # A second missed offer in a row sets the agent away.
    second = do_open_interaction(channel="chat", queue=fast)
    assert pending(second).agent_id == sleepy.pk  # type: ignore[union-attr]
    wait_until(lambda: _state(sleepy.pk) == AgentState.AWAY, 10, "the agent set away")
    sleepy.refresh_from_db()
    assert sleepy.state_reason is not None and sleepy.state_reason.name == "Missed offers"
    assert sleepy.load_chat == 0
    # The backup is busy with the first one, so the second waits; nothing rings the absent agent.
    assert not Offer.objects.filter(agent=sleepy, status="pending").exists()
    assert Interaction.objects.get(pk=second.pk).routing_status == "queued"


def _state(agent_id: int) -> str:
    from apps.agents.models import AgentProfile

    return str(AgentProfile.objects.get(pk=agent_id).state)
