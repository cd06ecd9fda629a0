"""Liveness of every part the product needs. Used by /healthz."""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.db import connection

from .keys import redis_key
from .redis import get_redis


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_redis() -> dict[str, Any]:
    get_redis().ping()
    return {"ok": True}


def check_celery() -> dict[str, Any]:
    """Green when a worker consumes the default queue (routing, mail, billing): a worker of another queue
    only (reports, analytics) answering would hide that nothing routes."""
    from ccaas.celery import app

    default = app.conf.task_default_queue or "celery"
    queues = app.control.inspect(timeout=1.0).active_queues() or {}
    serving = sorted(name for name, consumed in queues.items() if any(q.get("name") == default for q in consumed))
    return {"ok": bool(serving), "workers": serving, "queue": default}


def media_worker_key(worker_id: str) -> str:
    return redis_key("public", "media", "worker", worker_id)


def live_media_workers() -> list[dict[str, Any]]:
    r = get_redis()
    workers = []
    for key in r.scan_iter(match=redis_key("public", "media", "worker") + ":*", count=100):
        raw = r.get(key)
        if raw:
            workers.append(json.loads(raw))
    return workers


def check_media() -> dict[str, Any]:
    workers = [w for w in live_media_workers() if time.time() - w["seen"] < settings.MEDIA_WORKER_TTL_SECONDS]
    return {"ok": bool(workers), "workers": sorted(w["id"] for w in workers)}


CHECKS = {"database": check_database, "redis": check_redis, "celery": check_celery, "media": check_media}


def health_report() -> tuple[bool, dict[str, Any]]:
    report: dict[str, Any] = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as exc:  # a broken dependency is a finding, not a crash
            report[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    healthy = all(part["ok"] for part in report.values())
    return healthy, report
