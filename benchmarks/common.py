"""What the benchmarks share: their own embedded database and Redis, percentiles, a web process and a
Celery worker started as the Procfile starts them (the web process pinned to CPU 0, this process and
the rest to the other CPUs)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_env(database: str, redis_db: int) -> None:
    """A database of the benchmark's own (`BENCH_DATABASE_URL` to use another) and a Redis db."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from ccaas.launcher import start_postgres, start_redis

    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or start_postgres(database)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL") or start_redis(redis_db)
    os.environ["DJANGO_SETTINGS_MODULE"] = "ccaas.settings.test"
    # What a process remembers of a tenant's settings: as in production (the tests remember nothing).
    os.environ.setdefault("WEBHOOK_SUBSCRIPTION_CACHE_SECONDS", "10")
    os.environ.setdefault("MAIL_SETTINGS_CACHE_SECONDS", "10")
    import django

    django.setup()


def drop_database(database: str) -> None:
    """Start from an empty database (the embedded server's; not with BENCH_DATABASE_URL)."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import pgserver

    from ccaas.launcher import _pg_dir

    pgserver.get_server(str(_pg_dir()), cleanup_mode=None).psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE);')


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def _log(name: str) -> tempfile._TemporaryFileWrapper[bytes]:
    log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
    print(f"{name} log {log.name}", file=sys.stderr, flush=True)
    return log


def serve(name: str = "bench-web") -> tuple[subprocess.Popen[bytes], int]:
    """One daphne web process on a free port, pinned to CPU 0 (this process moves to the others)."""
    from tests.processes import free_port, port_open, wait_until

    port = free_port()
    env = {**os.environ, "PUBLIC_PORT": str(port), "DJANGO_SETTINGS_MODULE": "ccaas.settings.test"}
    log = _log(name)
    web = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "ccaas.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    wait_until(lambda: port_open(port), 30, "daphne")
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(web.pid, {0})
        os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)))
    return web, port


def celery_worker(queue: str, name: str = "bench-worker") -> subprocess.Popen[bytes]:
    """A Celery worker of one queue (as the Procfile's), ready when it answers a ping."""
    from ccaas.celery import app
    from tests.processes import wait_until

    log = _log(name)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ccaas",
            "worker",
            "-Q",
            queue,
            "-P",
            "solo",
            "-c",
            "1",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{name}@%h",
            "--loglevel=warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ccaas.settings.test"},
        stdout=log,
        stderr=log,
    )
    wait_until(lambda: bool(app.control.ping(timeout=0.5)), 60, "celery worker")
    return worker
