"""/healthz reports every part and turns non-200 when one is down."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.processes import wait_until


def health(host: str = "localhost") -> tuple[int, dict[str, Any]]:
    response = Client(HTTP_HOST=host).get("/healthz")
    return response.status_code, response.json()


def test_healthz_is_green_with_everything_up_and_red_when_the_worker_stops(
    celery_worker: Any, media_worker: Any, reports_worker: Any
) -> None:
    status, body = health()
    assert status == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "celery", "media"}
    assert all(check["ok"] for check in body["checks"].values())

    celery_worker.stop()
    try:
        status, body = health()
        assert status == 503
        # Red though the reports worker still answers: nothing consumes the default queue (routing).
        assert body["checks"]["celery"] == {"ok": False, "workers": [], "queue": "celery"}
        assert body["checks"]["database"]["ok"] and body["checks"]["media"]["ok"]
    finally:
        celery_worker.start()
    # Back when the restarted worker takes the default queue (its start waited only for any worker).
    wait_until(lambda: health()[0] == 200, 30, "the health check to be green again")


def test_healthz_is_red_when_the_media_worker_stops(celery_worker: Any, media_worker: Any) -> None:
    media_worker.stop()
    try:
        status, body = health()
        assert status == 503
        assert body["checks"]["media"] == {"ok": False, "workers": []}
    finally:
        media_worker.start()
    wait_until(lambda: health()[0] == 200, 15, "healthz to recover")


def test_media_worker_killed_without_cleanup_is_reported_dead_after_its_ttl(
    celery_worker: Any, media_worker: Any, settings: Any
) -> None:
    import signal

    media_worker.proc.stop(sig=signal.SIGKILL)  # no chance to remove its heartbeat
    try:
        wait_until(lambda: health()[0] == 503, settings.MEDIA_WORKER_TTL_SECONDS + 5, "the dead worker to expire")
    finally:
        media_worker.start()
