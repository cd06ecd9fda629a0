"""Several routing workers in parallel processes against real PostgreSQL: after thousands of
operations no interaction was offered twice, no agent exceeded capacity, nothing was forgotten."""

from __future__ import annotations

import os
import subprocess
import sys

from django.db import connection
from django.db.models import Count, Q

from apps.agents.models import AgentProfile, AgentState
from apps.inbox.models import Interaction
from apps.routing import engine
from apps.routing.models import Offer
from tests.conftest import TenantInfo
from tests.processes import ROOT
from tests.routing.conftest import World

WORKERS = 4
OPERATIONS_EACH = 700


def test_parallel_routers_keep_every_invariant(world: World, tenant: TenantInfo) -> None:
    # Long offer timeouts keep Celery timers out of the picture; the workers expire offers themselves.
    support = world.queue("Support", steps=[("skills.support >= 1", None)], offer_timeout_seconds=600)
    vip = world.queue(
        "VIP",
        priority=5,
        steps=[("interaction.vip == true and skills.support >= 3 or interaction.vip == false", None)],
        offer_timeout_seconds=600,
    )
    for n in range(16):
        world.agent(
            skills={"support": 1 + n % 5},
            queues=[support, vip] if n % 2 else [support],
            capacity_chat=1 + n % 3,
            capacity_email=2,
            idle_seconds_ago=n,
        )
    env = {**os.environ}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.routing.churn", tenant.schema_name, str(seed), str(OPERATIONS_EACH)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for seed in range(WORKERS)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for p, out in zip(procs, outputs, strict=True):
        assert p.returncode == 0, out[-3000:]
    connection.set_schema(tenant.schema_name)
    assert Interaction.objects.count() > 500, outputs

    # 1. No interaction has two live offers, and routing status agrees with the offers.
    doubled = Offer.objects.filter(status="pending").values("interaction").annotate(n=Count("id")).filter(n__gt=1)
    assert not doubled.exists()
    pending_ids = set(Offer.objects.filter(status="pending").values_list("interaction_id", flat=True))
    offered_ids = set(Interaction.objects.filter(routing_status="offered").values_list("pk", flat=True))
    assert pending_ids == offered_ids

    # 2. Every agent's load is exactly what it holds, and never above capacity.
    for agent in AgentProfile.objects.all():
        for channel in ("voice", "video", "chat", "email"):
            held = (
                Offer.objects.filter(agent=agent, channel=channel, status="pending").count()
                + Interaction.objects.filter(assigned_agent=agent, channel=channel, routing_status="assigned").count()
            )
            assert agent.load(channel) == held, (agent.pk, channel)
        assert agent.load_chat <= agent.capacity_chat and agent.load_email <= agent.capacity_email
        assert agent.load_voice + agent.load_video <= max(agent.capacity_voice, agent.capacity_video)

    # 3. Nothing forgotten: no waiting interaction could be offered now, no free agent could take one.
    queued = list(Interaction.objects.filter(routing_status="queued").values_list("pk", flat=True))
    assert all(engine.offer_interaction(pk) is None for pk in queued)
    free = AgentProfile.objects.filter(state=AgentState.AVAILABLE)
    assert all(engine.offer_to_agent(a.pk) is None for a in free)
    # The run really exercised contention.
    assert Offer.objects.filter(~Q(status="pending")).count() > 300
