"""Load against a live web process: HTTP requests from many threads, and what PostgreSQL sees."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any
    seconds: float


def request(port: int, host: str, path: str, token: str | None = None, timeout: float = 30) -> Reply:
    """GET `path` from the server on 127.0.0.1:`port` with the tenant's Host header."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Host": host, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    started = time.monotonic()
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        reply_headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode("utf-8", "replace")
    return Reply(response.status, reply_headers, body, time.monotonic() - started)


def statuses(outcomes: list[Reply | BaseException]) -> dict[str, int]:
    """How many outcomes had each status (or error type)."""
    counts: dict[str, int] = {}
    for outcome in outcomes:
        key = str(outcome.status) if isinstance(outcome, Reply) else type(outcome).__name__
        counts[key] = counts.get(key, 0) + 1
    return counts


def burst(send: Callable[[], Reply], total: int, in_flight: int) -> list[Reply | BaseException]:
    """`total` calls of `send`, `in_flight` at a time; each outcome (a reply or the error)."""

    def one(_n: int) -> Reply | BaseException:
        try:
            return send()
        except Exception as exc:  # a refused or dropped connection is an outcome too
            return exc

    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        return list(pool.map(one, range(total)))


@dataclass
class Poller:
    """Calls `send` again and again on a thread of its own until stopped; keeps every outcome."""

    send: Callable[[], Reply]
    pause: float = 0.05
    outcomes: list[Reply | BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.outcomes.append(self.send())
            except Exception as exc:
                self.outcomes.append(exc)
            self._stop.wait(self.pause)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)


class ConnectionCounter:
    """Samples how many PostgreSQL connections carry `application_name` (set with PGAPPNAME in the
    process under test), on a thread with a connection of its own."""

    def __init__(self, application_name: str, interval: float = 0.1) -> None:
        self.application_name = application_name
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _connect(self) -> Any:
        import psycopg
        from django.conf import settings

        db = settings.DATABASES["default"]
        return psycopg.connect(
            dbname="postgres",
            user=str(db["USER"] or "postgres"),
            host=str(db["HOST"]) if db["HOST"] else None,
            port=str(db["PORT"]) if db["PORT"] else None,
            password=str(db["PASSWORD"]) if db["PASSWORD"] else None,
            autocommit=True,
        )

    def _count(self, conn: Any) -> int:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [self.application_name]
        ).fetchone()
        return int(row[0]) if row else 0

    def count(self) -> int:
        with self._connect() as conn:
            return self._count(conn)

    def _run(self) -> None:
        with self._connect() as conn:
            while not self._stop.is_set():
                self.samples.append(self._count(conn))
                self._stop.wait(self.interval)

    @property
    def peak(self) -> int:
        return max(self.samples, default=0)

    def __enter__(self) -> ConnectionCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)


def start_web(name: str, env: dict[str, str]) -> tuple[Any, int]:
    """A daphne of its own (the Proc and its port), with `env` added to the environment."""
    from tests.processes import Proc, free_port, port_open, python

    port = free_port()
    proc = Proc(
        name,
        python("-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "ccaas.asgi:application"),
        env={"PUBLIC_PORT": str(port), **env},
        ready=lambda: port_open(port),
    ).start()
    return proc, port
