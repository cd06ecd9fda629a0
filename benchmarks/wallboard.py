"""Wallboard benchmark (issue 14). Run by hand: `.venv/bin/python benchmarks/wallboard.py [--sockets 100]`.

In a database of its own (`ccaas_bench_wallboard`, Redis db 11), re-created at every run: one tenant
with `--agents` agents (500) in `--queues` queues (50), each agent's current presence, today's record
(`--today` interactions, 11,000: a day of the issue's 1,000,000 over 90 days, with their queue segments)
and some waiting. `--sockets` supervisors (100) each open the wallboard's socket (`/ws/wallboard/`) on
one web process (daphne, pinned to CPU 0); the reports queue's Celery worker runs as the Procfile's.

Measured: `--changes` times (40), one second apart, a customer's chat enters a queue through the real
action (`do_open_interaction`, committed); latency = from the commit to the moment each socket has a
state that counts it (today's offered went up), over every (socket, change): p50 / p99 / max. Target:
p99 < 1 s. The path: post_save -> after commit, a Redis gate (only while a wallboard is open) -> the
task, 0.25 s later (changes close together are one computation) -> the state computed once -> one
group send -> every socket.
Floor, same run: the same state sent straight to the wallboard group from this process (the bare
Channels relay through the same consumer, to the same sockets), and the state's computation alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import celery_worker, pct, serve, setup_env  # noqa: E402

BENCH_DB = "ccaas_bench_wallboard"


def build(args: Any) -> dict[str, Any]:
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from apps.accounts.models import User
    from apps.agents.actions import ensure_agent_profile
    from apps.agents.models import PresenceChange
    from apps.inbox.models import Interaction, Segment
    from apps.routing.models import Queue
    from apps.tenants.actions import create_tenant_with_owner
    from apps.tenants.models import Tenant

    rng = random.Random(14)
    call_command("migrate_schemas", interactive=False, verbosity=0)
    old = Tenant.objects.filter(subdomain="wallbench").first()
    if old:
        old.delete(force_drop=True)
    tenant = create_tenant_with_owner(
        company_name="Wallboard bench", subdomain="wallbench", email="o@w.test", password=None
    ).tenant
    connection.set_schema(tenant.schema_name)
    queues = [Queue.objects.create(name=f"Queue {n:02d}", sla_seconds=20) for n in range(args.queues)]
    agents = []
    for n in range(args.agents):
        user = User.objects.create_user(email=f"agent{n}@w.test", password=None, role="agent", full_name=f"Agent {n}")
        agents.append(ensure_agent_profile(user))
    for n, agent in enumerate(agents):
        queues[n % len(queues)].members.add(agent)
    now = timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    PresenceChange.objects.bulk_create(
        PresenceChange(
            agent=a,
            state=rng.choice(["away", "offline", "away", "wrap_up"]),
            started_at=now - timedelta(minutes=rng.randrange(1, 300)),
            cause="agent",
        )
        for a in agents
    )
    span = max(60, int((now - midnight).total_seconds()) - 60)
    interactions = Interaction.objects.bulk_create(
        Interaction(channel="chat", created_at=midnight + timedelta(seconds=rng.randrange(span)))
        for _ in range(args.today)
    )
    segments = []
    for i in interactions:
        q = rng.choice(queues)
        waiting = rng.random() < 0.01
        wait = rng.randrange(1, 120)
        segments.append(
            Segment(
                interaction=i,
                kind="queue",
                started_at=i.created_at,
                ended_at=None if waiting else i.created_at + timedelta(seconds=wait),
                outcome="" if waiting else rng.choice(["answered", "answered", "answered", "abandoned"]),
                channel="chat",
                queue=q,
                data={},
            )
        )
    Segment.objects.bulk_create(segments, batch_size=5000)
    sessions = []
    for n in range(args.sockets):
        user = User.objects.create_user(email=f"sup{n}@w.test", password=None, role="supervisor")
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"schema": tenant.schema_name, "sessions": sessions, "queues": [q.pk for q in queues]}


def offered(state: dict[str, Any]) -> int:
    return sum(q["offered"] for q in state["queues"])


async def measure(data: dict[str, Any], port: int, args: Any) -> dict[str, Any]:
    from asgiref.sync import sync_to_async
    from django.db import connection
    from websockets.asyncio.client import connect

    from apps.core.events import send_event_text
    from apps.inbox.actions import do_open_interaction
    from apps.reporting.actions import wallboard_group
    from apps.reporting.selectors import realtime_state
    from apps.routing.models import Queue

    host = f"wallbench.localhost:{port}"
    seen: list[dict[int, float]] = [{} for _ in range(args.sockets)]  # socket -> {offered count: first seen}
    floor_seen: list[dict[int, float]] = [{} for _ in range(args.sockets)]
    sizes: list[int] = []

    async def open_board(n: int, session: str) -> Any:
        ws = await connect(
            f"ws://{host}/ws/wallboard/",
            host="127.0.0.1",
            port=port,
            additional_headers={"Cookie": f"sessionid={session}"},
            open_timeout=120,
            ping_interval=None,
            max_size=None,
        )
        return ws

    async def listen(n: int, ws: Any) -> None:
        async for raw in ws:
            at = time.perf_counter()  # before parsing: the client's own cost is not the server's
            frame = json.loads(raw)
            if frame.get("type") != "wallboard.state":
                continue
            marker = str(frame["state"].get("at", ""))
            if marker.startswith("floor:"):
                floor_seen[n].setdefault(int(marker[6:]), at)
                continue
            if n == 0:
                sizes.append(len(raw))
            seen[n].setdefault(offered(frame["state"]), at)

    boards = []
    for start in range(0, args.sockets, 20):  # open them 20 at a time
        boards += await asyncio.gather(
            *(open_board(n, s) for n, s in enumerate(data["sessions"][start : start + 20], start))
        )
    listeners = [asyncio.ensure_future(listen(n, ws)) for n, ws in enumerate(boards)]
    deadline = time.perf_counter() + 60
    while not all(seen) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    assert all(seen), "every wallboard gets its first state"
    base = max(max(s) for s in seen)

    def change(k: int) -> float:
        connection.set_schema(data["schema"])
        queue = Queue.objects.get(pk=data["queues"][k % len(data["queues"])])
        do_open_interaction(channel="chat", queue=queue, subject=f"bench {k}")
        return time.perf_counter()  # committed: the clock starts

    committed = []
    for k in range(args.changes):
        committed.append(await sync_to_async(change, thread_sensitive=True)(k))
        await asyncio.sleep(1.0)
    await asyncio.sleep(3)
    latencies = []
    missing = 0
    for n in range(args.sockets):
        for k, t0 in enumerate(committed):
            got = [at for count, at in seen[n].items() if count >= base + k + 1]
            if got:
                latencies.append(min(got) - t0)
            else:
                missing += 1

    # Floor: the last state, sent straight to the group (no record, no task, no computation).
    def state_now() -> dict[str, Any]:
        connection.set_schema(data["schema"])
        return realtime_state()

    state = await sync_to_async(state_now, thread_sensitive=True)()
    floor_sent = []
    for k in range(args.changes):
        t0 = time.perf_counter()
        await sync_to_async(send_event_text, thread_sensitive=True)(
            data["schema"],
            {"type": "wallboard.state", "state": {**state, "at": f"floor:{k}"}},
            [wallboard_group(data["schema"])],
        )
        floor_sent.append(t0)
        await asyncio.sleep(0.5)
    await asyncio.sleep(2)
    floor = [
        floor_seen[n][k] - t0 for n in range(args.sockets) for k, t0 in enumerate(floor_sent) if k in floor_seen[n]
    ]
    compute = []
    for _ in range(20):
        t0 = time.perf_counter()
        await sync_to_async(state_now, thread_sensitive=True)()
        compute.append(time.perf_counter() - t0)
    for task in listeners:
        task.cancel()
    for ws in boards:
        await ws.close()
    return {
        "sockets": args.sockets,
        "changes": args.changes,
        "update_latency_ms": {
            "p50": round(pct(latencies, 50) * 1000, 1),
            "p99": round(pct(latencies, 99) * 1000, 1),
            "max": round(max(latencies) * 1000, 1),
            "never_seen": missing,
        },
        "floor_relay_ms": {"p50": round(pct(floor, 50) * 1000, 1), "p99": round(pct(floor, 99) * 1000, 1)},
        "floor_state_compute_ms": {"p50": round(pct(compute, 50) * 1000, 1), "p99": round(pct(compute, 99) * 1000, 1)},
        "state_bytes": sizes[-1] if sizes else None,
        "ratio_p99_to_floor_relay_p99": round(pct(latencies, 99) / pct(floor, 99), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=100)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--today", type=int, default=11000)
    parser.add_argument("--changes", type=int, default=40)
    args = parser.parse_args()
    sys.argv = sys.argv[:1]
    setup_env(BENCH_DB, 11)
    t0 = time.perf_counter()
    data = build(args)
    built = round(time.perf_counter() - t0, 1)
    worker = celery_worker("reports", "wallbench-reports")
    web, port = serve("wallbench-web")
    try:
        result = asyncio.run(measure(data, port, args))
    finally:
        web.terminate()
        worker.terminate()
    print(
        json.dumps(
            {
                "machine": {"cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine()},
                "args": vars(args),
                "build_seconds": built,
                "result": result,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
