"""Reporting benchmark (issue 14). Run by hand: `.venv/bin/python benchmarks/reporting.py [--interactions N]`.

In a database of its own (`ccaas_bench_reporting`, Redis db 13), re-created at every run:

1. Load: one tenant with `--interactions` interactions (default 1,000,000) over `--days` days (90), with
   their segments (queue; then for the answered, handling and after-contact work; some transfers),
   `--agents` agents (500) in `--queues` queues (50), and each agent's presence (a shift a day), by COPY.
2. Rebuild: `do_rebuild()` over the whole record (the `rebuild_reports` command's work), timed, then
   the daily roll-up from it (`rebuild_days`, what the first roll-up after a change of zone does).
   Target: < 10 minutes for 1,000,000 interactions.
3. Reports: `GET /api/v1/reports/{queues,agents,channels}` through one web process (daphne), for a
   day, a month and 90 days (interval day; and total), `--reads` each: p50 / p95. Target: p95 < 200 ms.
   Floors, same run: a bare `SELECT 1` round trip, and the report's own aggregates over the roll-up
   tables alone (`selectors.report_sums`, no HTTP) for the same range; for 90 days also the same sums
   from the 15-minute intervals alone (as before the daily roll-up).
4. Roll-up lag: `--live-seconds` (60) of new interactions at `--rate` (50/s) written as the actions
   write them (an interaction and its queue and handling segments, committed), while `do_roll_up`
   runs every 15 s as beat runs it; lag = from a segment's commit to the end of the roll-up that
   counted it. Target: p99 < 60 s. Floor: the roll-up run's own duration.

The web process is pinned to CPU 0 and the client to the others; PostgreSQL runs where the kernel puts it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
BENCH_DB = "ccaas_bench_reporting"

from benchmarks.common import pct, serve, setup_env  # noqa: E402


def build(args: Any) -> dict[str, Any]:
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.models import User
    from apps.agents.models import AgentProfile
    from apps.reporting.models import ReportingSettings
    from apps.routing.models import Queue
    from apps.tenants.actions import create_tenant_with_owner
    from apps.tenants.models import Tenant

    call_command("migrate_schemas", interactive=False, verbosity=0)
    old = Tenant.objects.filter(subdomain="reportbench").first()
    if old:
        old.delete(force_drop=True)
    tenant = create_tenant_with_owner(
        company_name="Report bench", subdomain="reportbench", email="o@r.test", password=None
    ).tenant
    schema = tenant.schema_name
    connection.set_schema(schema)
    ReportingSettings.objects.create(time_zone="Europe/Berlin")
    queues = [Queue.objects.create(name=f"Q{n:02d}") for n in range(args.queues)]
    users = User.objects.bulk_create(
        User(email=f"a{n}@r.test", role="agent", full_name=f"Agent {n}") for n in range(args.agents)
    )
    agents = AgentProfile.objects.bulk_create(AgentProfile(user=u) for u in users)
    owner = User.objects.get(email="o@r.test")
    session = SessionStore()
    session["_auth_user_id"] = str(owner.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = owner.get_session_auth_hash()
    session.create()
    return {
        "schema": schema,
        "host": "reportbench.localhost",
        "session": session.session_key,
        "queues": [q.pk for q in queues],
        "agents": [a.pk for a in agents],
    }


def load(data: dict[str, Any], args: Any) -> dict[str, Any]:
    """COPY the interactions, their segments and the agents' presence."""
    import psycopg

    rng = random.Random(14)
    schema = data["schema"]
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=args.days)
    span = int((end - start).total_seconds())
    t0 = time.perf_counter()
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f'SET search_path = "{schema}", public')
        cur.execute("SELECT coalesce(max(id), 0) FROM inbox_interaction")
        first_id = cur.fetchone()[0] + 1
        starts = sorted(start + timedelta(seconds=rng.randrange(span)) for _ in range(args.interactions))
        with cur.copy(
            "COPY inbox_interaction (id, channel, direction, status, subject, case_id, attributes, created_at, labels,"
            " context, page, last_seq, agent_read_seq, resolution_note, csat_comment, priority, routing_status,"
            " declined_agent_ids, queue_id, assigned_agent_id, resolved_at, csat_score, csat_at, enqueued_at,"
            " steps_start_at) FROM STDIN"
        ) as copy:
            for n, t in enumerate(starts):
                answered = rng.random() < 0.8
                resolved = t + timedelta(seconds=rng.randrange(300, 3600)) if answered else None
                rated = answered and rng.random() < 0.3
                copy.write_row(
                    (
                        first_id + n,
                        rng.choice(["chat", "voice", "email"]),
                        "inbound",
                        "resolved" if answered else "open",
                        "",
                        f"{rng.getrandbits(128):032x}",
                        "{}",
                        t,
                        "{}",
                        "{}",
                        "{}",
                        0,
                        0,
                        "",
                        "",
                        0,
                        "completed" if answered else "abandoned",
                        "{}",
                        rng.choice(data["queues"]),
                        rng.choice(data["agents"]) if answered else None,
                        resolved,
                        rng.randint(1, 5) if rated else None,
                        resolved + timedelta(seconds=60) if rated and resolved else None,
                        t,
                        t,
                    )
                )
        cur.execute("SELECT setval(pg_get_serial_sequence('inbox_interaction', 'id'), max(id)) FROM inbox_interaction")
        segments = 0
        with cur.copy(
            "COPY inbox_segment (interaction_id, kind, started_at, ended_at, channel, direction, queue_id, agent_id,"
            " outcome, data) FROM STDIN"
        ) as copy:
            rng2 = random.Random(15)
            for n, t in enumerate(starts):
                iid = first_id + n
                channel = rng2.choice(["chat", "voice", "email"])
                queue = rng2.choice(data["queues"])
                wait = rng2.randrange(0, 120)
                answered = rng2.random() < 0.8
                agent = rng2.choice(data["agents"])
                q_end = t + timedelta(seconds=wait)
                if not answered:
                    copy.write_row((iid, "queue", t, q_end, channel, "inbound", queue, None, "abandoned", "{}"))
                    segments += 1
                    continue
                copy.write_row(
                    (
                        iid,
                        "queue",
                        t,
                        q_end,
                        channel,
                        "inbound",
                        queue,
                        None,
                        "answered",
                        json.dumps({"agent": agent, "wait_seconds": wait}),
                    )
                )
                talk = rng2.randrange(60, 900)
                h_end = q_end + timedelta(seconds=talk)
                copy.write_row(
                    (
                        iid,
                        "handling",
                        q_end,
                        h_end,
                        channel,
                        "inbound",
                        queue,
                        agent,
                        "completed",
                        json.dumps({"talk_seconds": talk, "hold_seconds": 0}),
                    )
                )
                copy.write_row(
                    (
                        iid,
                        "acw",
                        h_end,
                        h_end + timedelta(seconds=30),
                        channel,
                        "inbound",
                        None,
                        agent,
                        "completed",
                        "{}",
                    )
                )
                segments += 3
        presence = 0
        with cur.copy("COPY agents_presencechange (agent_id, state, started_at, ended_at, cause) FROM STDIN") as copy:
            for agent in data["agents"]:
                for d in range(args.days):
                    shift = start + timedelta(days=d, hours=8 + rng.randrange(0, 3))
                    copy.write_row((agent, "available", shift, shift + timedelta(hours=4), "agent"))
                    copy.write_row((agent, "away", shift + timedelta(hours=4), shift + timedelta(hours=5), "agent"))
                    copy.write_row(
                        (agent, "available", shift + timedelta(hours=5), shift + timedelta(hours=8), "agent")
                    )
                    presence += 3
        for table in ("inbox_interaction", "inbox_segment", "agents_presencechange"):
            cur.execute(f"VACUUM (ANALYZE) {table}")
    return {
        "interactions": args.interactions,
        "segments": segments,
        "presence_rows": presence,
        "load_seconds": round(time.perf_counter() - t0, 1),
        "from": start.isoformat(),
        "to": end.isoformat(),
    }


def rebuild(data: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection, transaction

    from apps.reporting.actions import do_rebuild, rebuild_days
    from apps.reporting.models import DayStat, IntervalStat, ReportingSettings

    connection.set_schema(data["schema"])
    t0 = time.perf_counter()
    rows = do_rebuild(days_per_step=1)
    seconds = time.perf_counter() - t0
    settings = ReportingSettings.current()
    # The daily roll-up, whole (what the first roll-up after a change of zone does).
    t1 = time.perf_counter()
    with transaction.atomic():
        rebuild_days(settings.time_zone)
    day_seconds = time.perf_counter() - t1
    settings.days_time_zone = settings.time_zone
    settings.rolled_up_to = datetime.now(UTC)
    settings.save()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) reporting_intervalstat")
        cursor.execute("VACUUM (ANALYZE) reporting_daystat")
    return {
        "rows": rows,
        "seconds": round(seconds, 1),
        "table_rows": IntervalStat.objects.count(),
        "days_seconds": round(day_seconds, 1),
        "day_rows": DayStat.objects.count(),
    }


def reports(data: dict[str, Any], port: int, reads: int) -> dict[str, Any]:
    from django.db import connection
    from journey import Http

    from apps.reporting.models import ReportingSettings
    from apps.reporting.selectors import paged, parse_report_query, report_sums

    connection.set_schema(data["schema"])
    settings = ReportingSettings.current()
    today = datetime.now(UTC).date()
    ranges = {
        "day": (today - timedelta(days=1), today - timedelta(days=1)),
        "month": (today - timedelta(days=30), today - timedelta(days=1)),
        "90 days": (today - timedelta(days=89), today),
    }

    async def timed(path: str, n: int) -> list[float]:
        conn = Http(port, data["host"])
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            status = await conn.request("GET", path, headers={"Cookie": f"sessionid={data['session']}"})
            out.append(time.perf_counter() - t0)
            assert status == 200, (status, path)
        return out

    results: dict[str, Any] = {}
    floor_rt = []
    with connection.cursor() as cursor:
        for _ in range(200):
            t0 = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            floor_rt.append(time.perf_counter() - t0)
    results["floor_select_1_p50_ms"] = round(pct(floor_rt, 50) * 1000, 3)
    for name, (first, last) in ranges.items():
        for slice_ in ("queues", "agents", "channels"):
            for interval in ("day", "total"):
                path = f"/api/v1/reports/{slice_}?from={first}&to={last}&interval={interval}"
                times = asyncio.run(timed(path, reads))  # JSON: the first page (2,000 rows at most)
                q = parse_report_query({"from": str(first), "to": str(last), "interval": interval}, slice_, settings)
                q, _page = paged(q, 1)
                floor = []
                for _ in range(max(5, reads // 4)):
                    t0 = time.perf_counter()
                    report_sums(q)
                    floor.append(time.perf_counter() - t0)
                results[f"{name} {slice_} {interval}"] = {
                    "p50_ms": round(pct(times, 50) * 1000, 1),
                    "p95_ms": round(pct(times, 95) * 1000, 1),
                    "floor_rollup_query_p50_ms": round(pct(floor, 50) * 1000, 1),
                    "ratio_p95_to_floor": round(pct(times, 95) / pct(floor, 50), 1),
                }
                if interval == "day":  # the page a supervisor opens: totals, the chart by day, the slice's table
                    page_times = asyncio.run(timed(f"/reports/?slice={slice_}&from={first}&to={last}", reads))
                    results[f"{name} {slice_} {interval}"]["page_p95_ms"] = round(pct(page_times, 95) * 1000, 1)
                if name == "90 days":  # before the daily roll-up: the same sums from the intervals alone
                    before = []
                    for _ in range(3):
                        t0 = time.perf_counter()
                        report_sums(replace(q, days_time_zone=""))
                        before.append(time.perf_counter() - t0)
                    results[f"{name} {slice_} {interval}"]["intervals_only_p50_ms"] = round(pct(before, 50) * 1000, 1)
    return results


def live(data: dict[str, Any], args: Any) -> dict[str, Any]:
    """Interactions written at `rate`/s for `seconds` while the roll-up runs every 15 s."""
    import psycopg
    from django.db import connection

    from apps.reporting.actions import do_roll_up

    committed: list[tuple[int, float]] = []  # (interaction id, commit time)
    stop = threading.Event()

    def writer() -> None:
        rng = random.Random(16)
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(f'SET search_path = "{data["schema"]}", public')
            interval = 1 / args.rate
            next_at = time.perf_counter()
            while not stop.is_set():
                now = datetime.now(UTC)
                with conn.transaction():
                    cur.execute(
                        "INSERT INTO inbox_interaction (channel, direction, status, subject, case_id, attributes,"
                        " created_at, labels, context, page, last_seq, agent_read_seq, resolution_note, csat_comment,"
                        " priority, routing_status, declined_agent_ids, queue_id, enqueued_at, steps_start_at)"
                        " VALUES ('chat', 'inbound', 'open', '', gen_random_uuid(), '{}', %s, '{}', '{}', '{}', 0, 0,"
                        " '', '', 0, 'assigned', '{}', %s, %s, %s) RETURNING id",
                        [now, rng.choice(data["queues"]), now, now],
                    )
                    iid = cur.fetchone()[0]
                    agent = rng.choice(data["agents"])
                    cur.execute(
                        "INSERT INTO inbox_segment (interaction_id, kind, started_at, ended_at, channel, direction,"
                        " queue_id, outcome, data) VALUES (%s, 'queue', %s, %s, 'chat', 'inbound', %s, 'answered', %s)",
                        [iid, now, now, data["queues"][0], json.dumps({"agent": agent})],
                    )
                committed.append((iid, time.perf_counter()))
                next_at += interval
                time.sleep(max(0, next_at - time.perf_counter()))

    thread = threading.Thread(target=writer, daemon=True)
    connection.set_schema(data["schema"])
    counted: dict[int, float] = {}
    runs = []
    thread.start()
    started = time.perf_counter()
    while time.perf_counter() - started < args.live_seconds + 20:
        t0 = time.perf_counter()
        if t0 - started >= args.live_seconds:
            stop.set()
        do_roll_up()
        done = time.perf_counter()
        runs.append(done - t0)
        # Every interaction committed before this run started is in the roll-up now.
        for iid, at in list(committed):
            if at < t0 and iid not in counted:
                counted[iid] = done - at
        time.sleep(max(0, 15 - (time.perf_counter() - t0)))
    thread.join()
    lags = list(counted.values())
    return {
        "interactions_written": len(committed),
        "rate_per_s": round(len(committed) / args.live_seconds, 1),
        "lag_p50_s": round(pct(lags, 50), 1),
        "lag_p99_s": round(pct(lags, 99), 1),
        "floor_roll_up_run_p50_s": round(pct(runs, 50), 2),
        "roll_up_run_max_s": round(max(runs), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--reads", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--live-seconds", type=float, default=60)
    args = parser.parse_args()
    sys.argv = sys.argv[:1]
    setup_env(BENCH_DB, 13)

    data = build(args)
    loaded = load(data, args)
    rebuilt = rebuild(data)
    web, port = serve("reportbench-web")
    try:
        time.sleep(1)
        read = reports(data, port, args.reads)
    finally:
        web.terminate()
    lag = live(data, args)
    print(
        json.dumps(
            {
                "machine": {"cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine()},
                "args": vars(args),
                "load": loaded,
                "rebuild": rebuilt,
                "reports": read,
                "roll_up_lag": lag,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
