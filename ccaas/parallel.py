"""Parallel test workers (pytest-xdist, `make test`): each worker's own database and Redis db.

Worker gw0 uses the run's DATABASE_URL and REDIS_URL; worker gwN (N >= 1) the database `<name>_gwN`
and the Redis db `<db> + N * REDIS_DB_STRIDE` (the embedded Redis has REDIS_DATABASES of them). The
URLs are derived once, in the worker, and marked in the environment, so the processes a test starts
(which inherit it) use them as they are."""

from __future__ import annotations

from collections.abc import Mapping

REDIS_DATABASES = 64
REDIS_DB_STRIDE = 16
MARK = "CCAAS_WORKER_URLS"


def worker_index(environ: Mapping[str, str]) -> int:
    worker = environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0


def worker_urls(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment changes for this worker (none for gw0, outside xdist, or when done already)."""
    n = worker_index(environ)
    if n == 0 or environ.get(MARK) == environ.get("PYTEST_XDIST_WORKER"):
        return {}
    changes = {MARK: environ["PYTEST_XDIST_WORKER"]}
    db_url = environ.get("DATABASE_URL", "")
    if db_url:
        head, _, tail = db_url.rpartition("/")
        name, sep, query = tail.partition("?")
        changes["DATABASE_URL"] = f"{head}/{name}_gw{n}{sep}{query}"
    redis_url = environ.get("REDIS_URL", "")
    if redis_url:
        head, _, tail = redis_url.rpartition("/")
        db = int(tail) if tail.isdigit() else 0
        if not tail.isdigit():
            head = redis_url.rstrip("/")
        changes["REDIS_URL"] = f"{head}/{db + n * REDIS_DB_STRIDE}"
    return changes
