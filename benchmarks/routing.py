"""Routing benchmark (issue 3). Run by hand: `make bench BENCH=routing` or
`.venv/bin/python benchmarks/routing.py [--agents 1000 --queues 50 --skills 20 --waiting 10000]`.

One tenant with N agents, Q queues (bullseye steps on skills and languages), S skills and W waiting
interactions. Every agent starts with its capacity full; "agents freeing capacity at random" is
simulated by P worker processes, each repeatedly picking a random agent, freeing one unit of chat
capacity and running the real routing action for that agent (`route_agent_now`: the engine's
decision, the offer, its realtime events and its timeout timer); new chats keep the number waiting at
W (see `event`). Reported: offers made per second, latency from the event to the offer (p50/p99),
database queries per decision at two sizes, and the floors, measured in the same run on the same
machine and database with the same number of processes: a bare round trip (`SELECT 1`), a bare
committed `INSERT` of one row, and a bare `SELECT ... FOR UPDATE SKIP LOCKED` + `UPDATE` round trip.
Offers per second and latency are reported as ratios to them (these machines differ by 2x in
absolute speed, and a shared one varies by more from minute to minute).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "ccaas_bench"


def setup_env() -> None:
    from ccaas.launcher import start_postgres, start_redis

    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or start_postgres(BENCH_DB)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL") or start_redis(14)
    os.environ["DJANGO_SETTINGS_MODULE"] = "ccaas.settings.test"
    import django

    django.setup()


def build(schema_prefix: str, agents: int, queues: int, skills: int, waiting: int, seed: int = 1) -> str:
    """Create (or re-create) a tenant with the given size. Returns its schema."""
    from django.db import connection

    from apps.accounts.models import User
    from apps.agents.models import AgentProfile, AgentSkill, Skill
    from apps.inbox.models import Interaction
    from apps.routing.models import Queue, RoutingStep
    from apps.tenants.actions import create_tenant_with_owner
    from apps.tenants.models import Tenant

    rng = random.Random(seed)
    sub = f"{schema_prefix}{agents}x{waiting}"
    old = Tenant.objects.filter(subdomain=sub).first()
    if old:
        old.delete(force_drop=True)
    tenant = create_tenant_with_owner(company_name="Bench", subdomain=sub, email="o@b.test", password=None).tenant
    connection.set_schema(tenant.schema_name)
    skill_names = [f"s{n}" for n in range(skills)]
    Skill.objects.bulk_create(Skill(name=n) for n in skill_names)
    skill_objs = {s.name: s for s in Skill.objects.all()}
    qs = Queue.objects.bulk_create(
        Queue(name=f"q{n}", priority=rng.randint(0, 3), offer_timeout_seconds=600, priority_aging_per_minute=0.5)
        for n in range(queues)
    )
    steps = []
    for q in qs:
        a, b = rng.sample(skill_names, 2)
        lang = rng.choice(["en", "zh", "de"])
        steps += [
            RoutingStep(queue=q, order=0, expression=f'skills.{a} >= 3 and language == "{lang}"', duration_seconds=30),
            RoutingStep(queue=q, order=1, expression=f"skills.{a} >= 1 or skills.{b} >= 2", duration_seconds=60),
            RoutingStep(queue=q, order=2, expression="true", duration_seconds=None),
        ]
    RoutingStep.objects.bulk_create(steps)
    users = User.objects.bulk_create(User(email=f"a{n}@b.test", role="agent", password="!") for n in range(agents))
    profiles = []
    for u in users:
        levels = {s: rng.randint(1, 5) for s in rng.sample(skill_names, 4)}
        profiles.append(
            AgentProfile(
                user=u,
                skill_levels=levels,
                languages=rng.sample(["en", "zh", "de"], 2),
                state="available",
                capacity_chat=3,
                load_chat=3,
                capacity_email=0,
                capacity_voice=0,
                capacity_video=0,
            )
        )
    profiles = AgentProfile.objects.bulk_create(profiles)
    AgentSkill.objects.bulk_create(
        AgentSkill(agent=p, skill=skill_objs[s], proficiency=lv) for p in profiles for s, lv in p.skill_levels.items()
    )
    Through = Queue.members.through
    Through.objects.bulk_create(
        Through(queue_id=q.pk, agentprofile_id=p.pk) for p in profiles for q in rng.sample(qs, 5)
    )
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    batch = []
    for _ in range(waiting):
        age = timedelta(seconds=rng.randint(0, 200))
        q = rng.choice(qs)
        prio = rng.randint(0, 2)
        batch.append(
            Interaction(
                channel="chat",
                queue=q,
                priority=prio,
                enqueued_at=now - age,
                steps_start_at=now - age,
                attributes={"vip": rng.random() < 0.1, "cart_value": rng.randint(0, 500)},
            )
        )
        if len(batch) == 2000:
            Interaction.objects.bulk_create(batch)
            batch = []
    Interaction.objects.bulk_create(batch)
    with connection.cursor() as c:
        c.execute("ANALYZE")
    return str(tenant.schema_name)


# The event: an agent finishes a chat (one unit of its chat capacity frees). Every ARRIVALS_EVERY
# events, as many chats join the waiting ones: they re-use the interactions of the newest ringing offers
# (those offers end) with a waiting time drawn like the built ones (0-200 s), so the number and the mix
# waiting stay as built: the run measures that state, not a draining queue (at 500 offers/s a 20 s run
# would use up all 10,000). Both are single SQL statements, so the harness costs little next to what it
# measures.
FREE_SQL = "UPDATE agents_agentprofile SET load_chat = load_chat - 1 WHERE id = %s AND load_chat > 0"
ARRIVALS_EVERY = 20
ARRIVE_SQL = """
WITH done AS (
    UPDATE routing_offer SET status = 'accepted', decided_at = now()
    WHERE id IN (SELECT id FROM routing_offer WHERE status = 'pending' ORDER BY id DESC LIMIT %s
                 FOR UPDATE SKIP LOCKED)
    RETURNING interaction_id, make_interval(secs => floor(random() * 201)) AS waited
)
UPDATE inbox_interaction i SET routing_status = 'queued', declined_agent_ids = '{}',
       enqueued_at = now() - done.waited, steps_start_at = now() - done.waited
FROM done WHERE i.id = done.interaction_id
"""


def event(agent_id: int, n: int) -> None:
    """The n-th event of this worker."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(FREE_SQL, [agent_id])
        if n % ARRIVALS_EVERY == 0:
            cursor.execute(ARRIVE_SQL, [ARRIVALS_EVERY])


def worker(schema: str, seconds: float, seed: int, agent_ids: list[int], out: mp.Queue) -> None:  # type: ignore[type-arg]
    setup_env()
    from django.db import connection

    from apps.routing.actions import route_agent_now

    connection.set_schema(schema)
    rng = random.Random(seed)
    latencies: list[float] = []
    offers = events = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        agent_id = rng.choice(agent_ids)
        event(agent_id, events)
        t0 = time.perf_counter()
        made = route_agent_now(agent_id)
        latencies.append(time.perf_counter() - t0)
        events += 1
        offers += len(made)
    out.put({"offers": offers, "events": events, "latencies": latencies})


def queries_per_decision(schema: str, samples: int = 50) -> float:
    from django.db import connection
    from django.db.models import F
    from django.test.utils import CaptureQueriesContext

    from apps.agents.models import AgentProfile
    from apps.routing import engine

    connection.set_schema(schema)
    ids = list(AgentProfile.objects.values_list("pk", flat=True)[:samples])
    engine.forget_cached_plans()
    from apps.routing.models import Queue

    for queue_id in Queue.objects.values_list("pk", flat=True):  # a running router has its plans cached
        engine.queue_plan(queue_id)
    engine.policy()
    for agent_id in ids:
        engine.agent_card(agent_id)
    counts = []
    for agent_id in ids[5:]:
        AgentProfile.objects.filter(pk=agent_id, load_chat__gt=0).update(load_chat=F("load_chat") - 1)
        with CaptureQueriesContext(connection) as ctx:
            engine.offer_to_agent(agent_id)
        counts.append(len(ctx.captured_queries))
    return statistics.mean(counts)


FLOORS = {
    # The bare minimum a statement costs: one round trip.
    "select_1": "SELECT 1",
    # The bare minimum a write costs: one committed row (autocommit: its own WAL flush).
    "insert": "INSERT INTO bench_floor (v) VALUES (1) RETURNING id",
    # The bare minimum a decision can cost: lock one waiting row and mark it, in one round trip.
    "skip_locked_update": (
        "WITH x AS (SELECT id FROM inbox_interaction WHERE routing_status = 'queued' "
        "LIMIT 1 FOR UPDATE SKIP LOCKED) UPDATE inbox_interaction i SET priority = i.priority "
        "FROM x WHERE i.id = x.id RETURNING i.id"
    ),
}


def floor_worker(schema: str, kind: str, seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    """One process running one floor statement back to back for `seconds`."""
    setup_env()
    from django.db import connection

    connection.set_schema(schema)
    latencies = []
    with connection.cursor() as c:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            c.execute(FLOORS[kind])
            c.fetchone()
            latencies.append(time.perf_counter() - t0)
    out.put(latencies)
    connection.close()


def floors(schema: str, processes: int, seconds: float) -> dict[str, dict[str, float]]:
    """Each floor statement from `processes` processes at once (as the benchmark's own workers run),
    one statement at a time: total per second and the latency p50."""
    from django.db import connection

    connection.set_schema(schema)
    with connection.cursor() as c:
        c.execute("CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, v int)")
    connection.close()
    ctx = mp.get_context("spawn")
    result = {}
    for kind in FLOORS:
        out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        procs = [ctx.Process(target=floor_worker, args=(schema, kind, seconds, out)) for _ in range(processes)]
        for p in procs:
            p.start()
        lat = [x for _ in procs for x in out.get()]
        for p in procs:
            p.join()
        result[kind] = {"per_second": round(len(lat) / seconds, 1), "p50_ms": round(1000 * pct(lat, 50), 3)}
    connection.set_schema(schema)
    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS bench_floor")
    return result


def forget_timers(*schemas: str) -> None:
    """The run's offers ring for 10 minutes; nobody needs their timeout timers once it is over."""
    from apps.core.redis import get_redis
    from apps.routing import timers

    r = get_redis()
    for schema in schemas:
        names = [name for name, _score in r.zscan_iter(timers.KEY, match=f"{schema}|*", count=1000)]
        for n in range(0, len(names), 1000):
            r.zrem(timers.KEY, *names[n : n + 1000])


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--skills", type=int, default=20)
    parser.add_argument("--waiting", type=int, default=10000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--floor-seconds", type=float, default=5, help="per floor statement")
    args = parser.parse_args()
    setup_env()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate_schemas", interactive=False, verbosity=0)
    print("building small tenant ...", flush=True)
    small = build("benchsmall", 100, 10, args.skills, 1000)
    q_small = queries_per_decision(small)
    connection.set_schema_to_public()
    print("building full tenant ...", flush=True)
    t0 = time.perf_counter()
    schema = build("bench", args.agents, args.queues, args.skills, args.waiting)
    print(f"  built in {time.perf_counter() - t0:.1f}s", flush=True)
    q_full = queries_per_decision(schema)
    from apps.agents.models import AgentProfile

    connection.set_schema(schema)
    agent_ids = list(AgentProfile.objects.values_list("pk", flat=True))
    connection.close()
    out: mp.Queue = mp.get_context("spawn").Queue()  # type: ignore[type-arg]
    procs = [
        mp.get_context("spawn").Process(target=worker, args=(schema, args.seconds, n, agent_ids, out))
        for n in range(args.processes)
    ]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    offers = sum(r["offers"] for r in results)
    events = sum(r["events"] for r in results)
    lat = [x for r in results for x in r["latencies"]]
    fl = floors(schema, args.processes, args.floor_seconds)
    forget_timers(small, schema)
    report = {
        "machine": f"{platform.node()} {os.cpu_count()} cores {platform.processor() or platform.machine()}",
        "size": vars(args),
        "offers_per_second": round(offers / args.seconds, 1),
        "events_per_second": round(events / args.seconds, 1),
        "latency_ms": {"p50": round(1000 * pct(lat, 50), 2), "p99": round(1000 * pct(lat, 99), 2)},
        "queries_per_decision": {
            "100 agents / 1k waiting": q_small,
            f"{args.agents} agents / {args.waiting} waiting": q_full,
        },
        "floors": {"processes": args.processes, **fl},
        # Offers/s as a fraction of each floor's statements/s (same processes), and the decision's
        # p50 latency as a multiple of each floor statement's.
        "ratio_to_floor": {
            kind: {
                "offers_per_second": round(offers / args.seconds / f["per_second"], 3),
                "latency_p50": round(1000 * pct(lat, 50) / f["p50_ms"], 1),
            }
            for kind, f in fl.items()
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
