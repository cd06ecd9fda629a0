"""Webhooks' real parts: a Celery worker of the `webhooks` queue, and the tenant's "own system", a
plain HTTP server on this machine that records every delivery and answers what a test scripted
(a 500 first, then 200)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import CeleryWorker
from tests.processes import free_port, wait_until


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int
    received: list[Received] = field(default_factory=list)
    # path -> the status codes to answer, in turn (then 200)
    script: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str, count: int = 1, timeout: float = 30, fire_timers: bool = False) -> list[Received]:
        """The deliveries to `path`, once there are `count`. `fire_timers`: sweep core's timers meanwhile,
        as beat does in production (retries wait there)."""
        from apps.core import timers

        def found() -> list[Received]:
            with self.lock:
                return [r for r in self.received if r.path == path]

        def enough() -> bool:
            if fire_timers:
                timers.fire_due()
            return len(found()) >= count

        wait_until(enough, timeout, f"{count} deliveries to {path}")
        return found()


@pytest.fixture(scope="package")
def receiver() -> Iterator[Receiver]:
    server_state = Receiver(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with server_state.lock:
                server_state.received.append(Received(self.path, dict(self.headers.items()), body))
                codes = server_state.script.get(self.path) or []
                code = codes.pop(0) if codes else 200
            answer = b'{"ok": true}' if code < 300 else b"Internal trouble: try again later"
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", server_state.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server_state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="package")
def webhooks_worker(django_db_setup: None) -> Iterator[CeleryWorker]:
    # Retries a second apart, and a webhook whose delivery gave up is turned off at once.
    worker = CeleryWorker("webhooks", env={"WEBHOOK_RETRY_DELAYS": "1,1,1", "WEBHOOK_DISABLE_AFTER": "0"})
    worker.start()
    yield worker
    worker.stop()
