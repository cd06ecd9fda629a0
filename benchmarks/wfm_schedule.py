"""Forecast plus schedule benchmark (issue 15). Run by hand, one benchmark at a time:
`flock /tmp/bench.lock .venv/bin/python benchmarks/wfm_schedule.py`.

A tenant with 200 agents (three contracts: full time 5 x 8 h; part time 20-30 h of 4 or 6 h shifts; flexible
30-40 h of 8 or 10 h shifts, up to 6 days) and varied weekly availability (early, day, late, weekend
workers), and 9 weeks of one queue's history in the interaction record (a queue and a handling segment per
contact: up to 240 contacts a quarter hour on weekdays, half on weekends, AHT 300 s). Timed, end to end as
`POST /api/v1/wfm/schedules/generate` runs it (the action, no HTTP): the forecast of 4 weeks of 15-minute
intervals (2,688) from the record, the requirement by Erlang C (80 % in 20 s, occupancy <= 85 %), the shifts
(CP-SAT, a 30 s time limit shared by the 4 weeks), breaks and lunches, and the rows written. Target: < 60 s.
Floors, same run: the bare database round trip (SELECT 1), and the forecast alone (its history query and
model); the total is reported as a ratio to the forecast. Also timed: the planner's page data for one day
(the 4 weeks' coverage counted from the rows, the day's shifts).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import pct, setup_env  # noqa: E402

BENCH_DB = "ccaas_bench_wfm"
TZ = "Europe/Berlin"

HISTORY = """
WITH days AS (
    SELECT d::date AS day FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') d
), slots AS (
    SELECT day, k, (day + make_interval(mins => 15 * k)) AT TIME ZONE %(tz)s AS at,
           greatest(0, sin(pi() * (k / 4.0 - 7) / 15)) * %(peak)s
             * CASE WHEN extract(isodow FROM day) >= 6 THEN 0.5 ELSE 1 END AS mean
    FROM days CROSS JOIN generate_series(0, 95) k
), contacts AS (
    SELECT at + make_interval(secs => 900 * random()) AS t FROM slots
    CROSS JOIN LATERAL generate_series(1, round(mean * (0.85 + 0.3 * random()))::int) n
    WHERE 7 * 4 <= k AND k < 22 * 4
)
INSERT INTO inbox_segment (interaction_id, kind, started_at, ended_at, channel, direction, queue_id, outcome, data)
SELECT %(interaction)s, kinds.kind,
       CASE WHEN kinds.kind = 'queue' THEN t ELSE t + interval '20 seconds' END,
       CASE WHEN kinds.kind = 'queue' THEN t + interval '20 seconds' ELSE t + interval '320 seconds' END,
       'voice', 'inbound', %(queue)s,
       CASE WHEN kinds.kind = 'queue' THEN 'answered' ELSE 'completed' END,
       CASE WHEN kinds.kind = 'queue' THEN '{"wait_seconds": 20}'::jsonb
            ELSE '{"talk_seconds": 280, "hold_seconds": 20}'::jsonb END
FROM contacts CROSS JOIN (VALUES ('queue'), ('handling')) kinds(kind)
"""


def build(first_day: date, agents: int, peak: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.models import User
    from apps.agents.models import AgentProfile
    from apps.inbox.models import Interaction
    from apps.routing.models import Queue
    from apps.tenants.actions import create_tenant_with_owner
    from apps.tenants.models import Tenant
    from apps.wfm.models import AgentContract, Availability, Contract

    call_command("migrate_schemas", interactive=False, verbosity=0)
    old = Tenant.objects.filter(subdomain="wfmbench").first()
    if old:
        old.delete(force_drop=True)
    tenant = create_tenant_with_owner(
        company_name="WFM bench", subdomain="wfmbench", email="o@w.test", password=None
    ).tenant
    connection.set_schema(tenant.schema_name)
    queue = Queue.objects.get(name="Support")
    users = User.objects.bulk_create(
        User(email=f"a{n}@w.test", role="agent", full_name=f"Agent {n:03d}") for n in range(agents)
    )
    profiles = AgentProfile.objects.bulk_create(AgentProfile(user=u) for u in users)
    contracts = [
        Contract.objects.create(name="Full time", min_minutes_week=2400, max_minutes_week=2400,
                                shift_minutes=[480], max_days_week=5),
        Contract.objects.create(name="Part time", min_minutes_week=1200, max_minutes_week=1800,
                                shift_minutes=[240, 360], max_days_week=5),
        Contract.objects.create(name="Flexible", min_minutes_week=1800, max_minutes_week=2400,
                                shift_minutes=[480, 600], max_days_week=6),
    ]  # fmt: skip
    patterns = [
        [(d, 6 * 60, 16 * 60) for d in range(5)],  # early
        [(d, 8 * 60, 20 * 60) for d in range(5)],  # day
        [(d, 12 * 60, 23 * 60) for d in range(5)],  # late
        [(d, 7 * 60, 22 * 60) for d in (0, 2, 4, 5, 6)],  # weekends and some weekdays
        [(d, 7 * 60, 23 * 60) for d in range(7)],  # anytime
    ]
    links, windows = [], []
    for n, p in enumerate(profiles):
        links.append(AgentContract(agent=p, contract=contracts[n % 3]))
        for d, s, e in patterns[n % 5]:
            windows.append(Availability(agent=p, weekday=d, start_minute=s, end_minute=e))
    AgentContract.objects.bulk_create(links)
    Availability.objects.bulk_create(windows)
    interaction = Interaction.objects.create(channel="voice", queue=queue)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.15)")  # the same history every run
        cursor.execute(
            HISTORY,
            {
                "first": first_day - timedelta(weeks=9),
                "last": first_day - timedelta(days=1),
                "tz": TZ,
                "peak": peak,
                "queue": queue.pk,
                "interaction": interaction.pk,
            },
        )
        rows = cursor.rowcount
        cursor.execute("ANALYZE inbox_segment")
    return {
        "schema": tenant.schema_name,
        "queue": queue.pk,
        "segments": rows,
        "owner": User.objects.get(email="o@w.test"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--peak", type=int, default=240, help="contacts in a busy weekday quarter hour")
    parser.add_argument("--time-limit", type=int, default=30, help="the solver's seconds, shared by the 4 weeks")
    args = parser.parse_args()
    setup_env(BENCH_DB, 14)
    from django.db import connection

    from apps.wfm.forecast import forecast
    from apps.wfm.schedule_actions import do_generate_schedule
    from apps.wfm.schedule_selectors import schedule_detail

    today = datetime.now(ZoneInfo(TZ)).date()
    first_day = today + timedelta(days=7 - today.weekday())
    t0 = time.perf_counter()
    data = build(first_day, args.agents, args.peak)
    setup_seconds = time.perf_counter() - t0
    connection.set_schema(data["schema"])

    round_trips = []
    with connection.cursor() as cursor:
        for _ in range(200):
            t = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            round_trips.append(time.perf_counter() - t)
    forecasts = []
    for _ in range(3):
        t = time.perf_counter()
        forecast(data["queue"], None, first_day, 28, 15, TZ, {}, {})
        forecasts.append(time.perf_counter() - t)

    body = {"queue": data["queue"], "first_day": first_day.isoformat(), "weeks": 4, "interval_minutes": 15,
            "time_zone": TZ, "target_service_level": 80, "target_seconds": 20, "max_occupancy": 85,
            "time_limit_seconds": args.time_limit}  # fmt: skip
    t = time.perf_counter()
    schedule = do_generate_schedule(data["owner"], body)
    total = time.perf_counter() - t
    detail = schedule_detail(schedule)
    forecast_s = pct(forecasts, 50)
    pages = []  # the planner's page of one day: the coverage of the 4 weeks counted from the rows, a day's shifts
    for _ in range(5):
        t = time.perf_counter()
        schedule_detail(schedule, first_day)
        pages.append(time.perf_counter() - t)
    print(
        json.dumps(
            {
                "machine": {"cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine()},
                "agents": args.agents,
                "history_segments": data["segments"],
                "intervals": len(schedule.required),
                "setup_seconds": round(setup_seconds, 1),
                "floor_select1_p50_ms": round(pct(round_trips, 50) * 1000, 3),
                "floor_forecast_p50_s": round(forecast_s, 3),
                "forecast_plus_schedule_s": round(total, 2),
                "solver": schedule.solver | {"warnings": len(schedule.solver.get("warnings", []))},
                "ratio_total_to_forecast": round(total / forecast_s, 1),
                "ratio_total_to_select1": round(total / pct(round_trips, 50)),
                "target_60s_met": total < 60,
                "peak_required": max(schedule.required),
                "planner_day_p50_s": round(pct(pages, 50), 3),
                "totals": detail["totals"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
