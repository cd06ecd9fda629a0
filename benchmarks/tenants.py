"""Tenant benchmark (issue 2). Run by hand: `.venv/bin/python benchmarks/tenants.py [--tenants 500]`.

Creates N tenants one after another through the real sign-up path (`check_signup` + the per-address
rate limit + `do_signup`, exactly what `POST /api/v1/signup` runs, minus the HTTP framing), in a
database of its own (`ccaas_bench_tenants`, Redis db 13), re-created at every run. Reported:

- median and p95 sign-up time of the first and the last `--window` tenants, and the median of every
  100 (it must not grow with the tenant count; target median < 1 s);
- with `--spares N` (default 3, TENANT_SPARE_SCHEMAS): sign-up renames a spare schema cloned ahead of
  time. The refill a sign-up queues for the Celery worker runs here right after the timed sign-up,
  untimed, as a worker keeping up with sign-ups would (its own clone times are reported apart);
  `--spares 0` measures the clone path every sign-up took before;
- the same split by how many sign-ups the database connection had already served: a PostgreSQL
  backend that has cloned many schemas gets slower (see docs/benchmarks.md), so each sign-up runs
  inside Django's request cycle (`close_old_connections`, DB_CONN_MAX_AGE) as in a web process,
  or on one connection throughout with `--persistent` (what pgbouncer's pooled server connections
  would do);
- where one sign-up's time goes: cProfile of one extra sign-up, and the password hash alone;
- the wall time of a no-op `manage.py migrate_schemas --noinput` over every schema (exactly the
  `release` process, Django start-up included), once per executor in `--executors`
  (target < 2 minutes on a 2-core machine); `standard` skips the schemas that already have every
  migration, `standard+every` runs Django's migrate in each one (`--every-schema`, as before).

Floors, measured in the same run on the same machine and database (these machines differ by 2x in
absolute speed, and a shared one varies by more from minute to minute): a bare round trip
(`SELECT 1`), a bare `CREATE SCHEMA` (+ its `DROP`, untimed), the owner's password hash, and for the
no-op `migrate_schemas` the bare minimum it must do: Django's start-up (`manage.py shell -c pass`)
plus one round trip per schema reading its `django_migrations`. Sign-up and `migrate_schemas` are
reported as ratios to them.

Settings are `ccaas.settings.base`: production's password hasher (the test settings use MD5), DEBUG
off. Sign-up time includes hashing the owner's password (PBKDF2, Django 5.2: 1,000,000 iterations).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "ccaas_bench_tenants"
SETTINGS = "ccaas.settings.base"
PERSISTENT = False  # --persistent: one database connection for every sign-up
REFILL_QUEUED = False  # a sign-up queued a refill of the spare schemas (run by `refill`, untimed)


def reset_database() -> None:
    """Drop the benchmark database (fast, unlike dropping hundreds of schemas one by one)."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return  # an external database is the caller's to prepare
    import pgserver

    from ccaas.launcher import _pg_dir

    server = pgserver.get_server(str(_pg_dir()), cleanup_mode=None)
    server.psql(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE);')


def setup_env() -> None:
    from ccaas.launcher import start_postgres, start_redis

    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or start_postgres(BENCH_DB)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL") or start_redis(13)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()
    from apps.tenants import actions

    def queue_spare_refill() -> None:  # instead of queueing it for a worker (none runs here)
        global REFILL_QUEUED
        REFILL_QUEUED = True

    actions.queue_spare_refill = queue_spare_refill  # type: ignore[assignment]


def signup(n: int) -> tuple[float, int, bool]:
    """One sign-up, as the API does it. Returns its duration in seconds, the database backend's pid
    and whether it renamed a spare schema (else it cloned the template).

    Wrapped in what Django's request handler does around every request (`close_old_connections` on
    request_started and request_finished), so the database connection lives as long as it would in
    a web process: DB_CONN_MAX_AGE (60 s by default), or for ever with `--persistent`."""
    from django.db import close_old_connections, connection

    from apps.tenants.actions import do_signup
    from apps.tenants.signup import throttle_signup
    from apps.tenants.validation import check_signup

    data = {
        "company_name": f"Bench Company {n}",
        "subdomain": f"bench{n}",
        "email": f"owner{n}@bench.test",
        "password": "a-long-bench-passphrase-7",
    }
    if not PERSISTENT:
        close_old_connections()  # request_started
    pid = backend_pid()
    t0 = time.perf_counter()
    throttle_signup(f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")
    result = do_signup(check_signup(data))
    elapsed = time.perf_counter() - t0
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # as after a request
    if not PERSISTENT:
        close_old_connections()  # request_finished
    return elapsed, pid, result.spare is not None


def refill() -> tuple[float, int]:
    """What the worker does with the refill a sign-up queued. Returns its duration and how many
    spares it cloned."""
    global REFILL_QUEUED
    if not REFILL_QUEUED:
        return 0.0, 0
    REFILL_QUEUED = False
    from apps.tenants.actions import do_refill_spare_schemas

    t0 = time.perf_counter()
    made = do_refill_spare_schemas()
    return time.perf_counter() - t0, made


def backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def by_connection_age(times: list[float], pids: list[int]) -> dict[str, Any]:
    """Median sign-up time by how many sign-ups its database connection had already served, in the
    first and the last 200 tenants: separates growth with the tenant count from growth with the
    age of the connection."""
    ages: list[int] = []
    for i, pid in enumerate(pids):
        ages.append(ages[-1] + 1 if i and pids[i - 1] == pid else 0)
    out: dict[str, Any] = {"connections": len(set(pids))}
    for label, lo, hi in (("first_200", 0, 200), ("last_200", len(times) - 200, len(times))):
        buckets: dict[str, list[float]] = {}
        for i in range(max(lo, 0), min(hi, len(times))):
            age = ages[i]
            key = "0-9" if age < 10 else "10-29" if age < 30 else "30-59" if age < 60 else "60+"
            buckets.setdefault(key, []).append(times[i])
        out[label] = {k: {"n": len(v), "median_s": round(statistics.median(v), 3)} for k, v in sorted(buckets.items())}
    return out


def summary(values: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(values), 3), "p95_s": round(pct(values, 95), 3)}


def profile_one(n: int) -> tuple[float, str]:
    profiler = cProfile.Profile()
    profiler.enable()
    elapsed, _pid, _spare = signup(n)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return elapsed, out.getvalue()


def hash_time() -> float:
    from django.contrib.auth.hashers import make_password

    t0 = time.perf_counter()
    make_password("a-long-bench-passphrase-7")
    return time.perf_counter() - t0


def migrate_noop(executor: str) -> float:
    """`executor` is django-tenants' executor name; `name+every` adds `--every-schema` (Django's migrate in
    every schema, as before schemas with every migration were skipped: apps/tenants/migration_executor.py)."""
    name, _, every = executor.partition("+")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "TENANT_MIGRATION_EXECUTOR": name}
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate_schemas", "--noinput", "-v", "0"]
        + (["--every-schema"] if every else []),
        check=True,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def floors(samples: int = 50) -> dict[str, Any]:
    """Bare round trip and bare CREATE SCHEMA on a connection like the sign-ups' (median seconds)."""
    from django.db import connection

    connection.set_schema_to_public()  # type: ignore[attr-defined]
    trips, creates = [], []
    with connection.cursor() as c:
        for _ in range(samples):
            t0 = time.perf_counter()
            c.execute("SELECT 1")
            c.fetchone()
            trips.append(time.perf_counter() - t0)
        for n in range(samples // 2):
            t0 = time.perf_counter()
            c.execute(f"CREATE SCHEMA bench_floor_{n}")
            creates.append(time.perf_counter() - t0)
            c.execute(f"DROP SCHEMA bench_floor_{n}")
    return {
        "round_trip_s": round(statistics.median(trips), 5),
        "create_schema_s": round(statistics.median(creates), 5),
        "password_hash_s": round(hash_time(), 3),
    }


def migrate_floor() -> dict[str, Any]:
    """The least a no-op `migrate_schemas` can cost: start Django, and read each schema's applied
    migrations once (one round trip per schema)."""
    from django.db import connection

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "shell", "-c", "pass"], check=True, env=env, cwd=ROOT)
    startup = time.perf_counter() - t0
    with connection.cursor() as c:
        c.execute("SELECT schema_name FROM tenants_tenant")
        schemas = [row[0] for row in c.fetchall()]
        t0 = time.perf_counter()
        for schema in schemas:
            c.execute(f'SELECT app, name FROM "{schema}".django_migrations')
            c.fetchall()
        reads = time.perf_counter() - t0
    return {"django_startup_s": round(startup, 2), "read_migrations_of_every_schema_s": round(reads, 2)}


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=500)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument(
        "--executors",
        default="standard,standard+every,multiprocessing+every",
        help="executors of the no-op migrate_schemas; +every: with --every-schema (no skipping)",
    )
    parser.add_argument("--keep", action="store_true", help="reuse the existing tenants; only time migrate_schemas")
    parser.add_argument("--persistent", action="store_true", help="one database connection for every sign-up")
    parser.add_argument(
        "--spares", type=int, default=3, help="TENANT_SPARE_SCHEMAS (0: every sign-up clones the template)"
    )
    args = parser.parse_args()
    global PERSISTENT
    PERSISTENT = args.persistent
    os.environ["TENANT_SPARE_SCHEMAS"] = str(args.spares)  # also for the migrate_schemas subprocesses

    sys.path.insert(0, str(ROOT))
    if not args.keep:
        reset_database()
    setup_env()
    from django.core.management import call_command

    from apps.tenants.models import Tenant

    report: dict[str, Any] = {
        "machine": {"nproc": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version()},
        "load_avg": {"start": load()},
        "spares": args.spares,
    }
    times: list[float] = []
    if not args.keep:
        t0 = time.perf_counter()
        call_command("migrate_schemas", interactive=False, verbosity=0)
        report["first_migrate_s"] = round(time.perf_counter() - t0, 1)
        print(f"public + template schema migrated in {report['first_migrate_s']} s", flush=True)
        pids: list[int] = []
        from_spare = 0
        clone_times: list[float] = []  # the refill's, per spare cloned
        for n in range(1, args.tenants + 1):
            elapsed, pid, spare = signup(n)
            times.append(elapsed)
            pids.append(pid)
            from_spare += spare
            refill_s, made = refill()
            if made:
                clone_times.append(refill_s / made)
            if n % 50 == 0:
                recent = times[-50:]
                print(
                    f"{n:5d} tenants  last 50: median {statistics.median(recent):.3f} s"
                    f"  from a spare {from_spare}/{n}"
                    + (f"  refill clone median {statistics.median(clone_times[-50:]):.3f} s" if clone_times else "")
                    + f"  load {load()}",
                    flush=True,
                )
        report["load_avg"]["after_signups"] = load()
        w = args.window
        report["signup"] = {
            "tenants": len(times),
            f"first_{w}": summary(times[:w]),
            f"last_{w}": summary(times[-w:]),
            "median_per_100_s": [round(statistics.median(times[i : i + 100]), 3) for i in range(0, len(times), 100)],
            "password_hash_s": round(hash_time(), 3),
            "by_connection_age": by_connection_age(times, pids),
            "from_a_spare": from_spare,
        }
        if clone_times:
            report["signup"]["refill_clone_per_spare"] = {
                f"first_{w}": summary(clone_times[:w]),
                f"last_{w}": summary(clone_times[-w:]),
            }
        elapsed, profile = profile_one(args.tenants + 1)
        report["signup"]["profiled_one_s"] = round(elapsed, 3)
        print(profile, flush=True)
    schemas = Tenant.objects.count()
    report["schemas"] = schemas
    fl = floors()
    report["floors"] = fl
    if "signup" in report:
        median = statistics.median(times)
        report["ratio_to_floor"] = {
            "signup_median_to_create_schema": round(median / fl["create_schema_s"], 1),
            "signup_median_to_round_trip": round(median / fl["round_trip_s"], 1),
            "signup_median_to_password_hash": round(median / fl["password_hash_s"], 2),
        }
    mfl = migrate_floor()
    report["floors"]["migrate_schemas"] = mfl
    from django.db import connection

    connection.close()
    report["migrate_schemas_noop_s"] = {}
    for executor in [e for e in args.executors.split(",") if e]:
        seconds = migrate_noop(executor)
        report["migrate_schemas_noop_s"][executor] = round(seconds, 1)
        report["load_avg"][f"after_migrate_{executor}"] = load()
        print(f"no-op migrate_schemas ({executor}) over {schemas} schemas: {seconds:.1f} s  load {load()}", flush=True)
        bare = mfl["django_startup_s"] + mfl["read_migrations_of_every_schema_s"]
        report.setdefault("ratio_to_floor", {})[f"migrate_schemas_{executor}"] = round(seconds / bare, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
