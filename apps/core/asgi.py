"""Django's HTTP handler on a fixed set of threads, so a web process holds a bounded number of
database connections however many requests are in flight.

Django's `ASGIHandler` runs each request's sync code (middleware, views, `request_finished`) inside
a `ThreadSensitiveContext` of its own, and asgiref gives every such context a new thread. Django
keeps a database connection per thread (`CONN_MAX_AGE` > 0: it outlives the request), so every
request in flight opened one more connection, and a thread that ended left its connection open
until the cyclic garbage collector freed it. Measured (docs/scaling.md, "PostgreSQL
connections"): 500 API requests with 20 in flight took a PostgreSQL with `max_connections` 60 to
its limit within 2 s, and it stayed exhausted for minutes after the burst; every tenant got 500s.

Here each request takes one of `HTTP_THREADS` long-lived threads at its first sync call (so a
slow client sending its body holds none) and gives it back when the response has been sent.
Requests beyond that wait on the event loop, first come first served, holding no thread and no
connection. Each thread keeps its connection (`CONN_MAX_AGE`), so connections are reused, not
opened per request."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler


def _run(future: Future[Any], fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        future.set_result(fn(*args, **kwargs))
    except BaseException as exc:  # handed to the awaiting coroutine, as ThreadPoolExecutor does
        future.set_exception(exc)


class ThreadSlots:
    """`size` single-thread executors, lent to one request at a time, in arrival order."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._free: deque[ThreadPoolExecutor] = deque(
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"http-{n}") for n in range(size)
        )
        self._waiting: deque[RequestExecutor] = deque()

    def ask(self, request: RequestExecutor) -> None:
        with self._lock:
            if not self._free:
                self._waiting.append(request)
                return
            worker = self._free.popleft()
        request.bind(worker)

    def give_back(self, worker: ThreadPoolExecutor) -> None:
        with self._lock:
            if not self._waiting:
                self._free.append(worker)
                return
            request = self._waiting.popleft()
        request.bind(worker)

    def forget(self, request: RequestExecutor) -> None:
        with self._lock:
            if request in self._waiting:
                self._waiting.remove(request)

    @property
    def waiting(self) -> int:
        return len(self._waiting)


class RequestExecutor(Executor):
    """The executor of one request: bound to a slot's thread at its first call, then every call of
    the request runs there, one after another (what thread-sensitive code expects)."""

    def __init__(self, slots: ThreadSlots) -> None:
        self.slots = slots
        self.worker: ThreadPoolExecutor | None = None
        self._pending: list[tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        self._asked = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self.worker is not None:
            return self.worker.submit(fn, *args, **kwargs)
        future: Future[Any] = Future()
        self._pending.append((future, fn, args, kwargs))
        if not self._asked:
            self._asked = True
            self.slots.ask(self)
        return future

    def bind(self, worker: ThreadPoolExecutor) -> None:
        self.worker = worker
        pending, self._pending = self._pending, []
        for future, fn, args, kwargs in pending:
            if future.set_running_or_notify_cancel():  # a request cancelled while waiting runs nothing
                worker.submit(_run, future, fn, args, kwargs)

    def release(self) -> None:
        if self.worker is not None:
            worker, self.worker = self.worker, None
            self.slots.give_back(worker)
        elif self._asked:
            self.slots.forget(self)


class BoundedASGIHandler(ASGIHandler):
    """`ASGIHandler` whose requests run on `HTTP_THREADS` threads of this process."""

    def __init__(self) -> None:
        super().__init__()
        self.slots = ThreadSlots(settings.HTTP_THREADS)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = RequestExecutor(self.slots)
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            executor.release()


def scope_header(scope: dict[str, Any], name: bytes) -> str:
    """One request header of an ASGI scope (`name` in lower case), "" when absent."""
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def get_asgi_application() -> BoundedASGIHandler:
    """`django.core.asgi.get_asgi_application` with the bounded handler."""
    import django

    django.setup(set_prefix=False)
    return BoundedASGIHandler()


# --- for the hot paths that answer on the event loop without Django's request cycle -------------------
_TENANT_TTL = 30.0
_tenants: dict[str, tuple[float, str | None]] = {}


async def schema_for_host(host: str) -> str | None:
    """The tenant schema a Host header leads to, as the tenant middleware would find it (cached 30 s;
    None: no tenant there)."""
    from . import adb

    hostname = host.split(":")[0].lower().rstrip(".")
    now = time.monotonic()
    hit = _tenants.get(hostname)
    if hit and hit[0] > now:
        return hit[1]
    rows = await adb.fetchall(
        b"SELECT t.schema_name FROM public.tenants_tenant t JOIN public.tenants_domain d ON d.tenant_id = t.id "
        b"WHERE d.domain = %(h)s AND NOT t.is_template AND t.schema_name <> 'public' LIMIT 1",
        {"h": hostname},
    )
    schema = rows[0][0] if rows else None
    if len(_tenants) > 10_000:
        _tenants.clear()
    _tenants[hostname] = (now + _TENANT_TTL, schema)
    return schema


async def read_body(receive: Any, limit: int) -> bytes | None:
    """The request body, or None when it is over `limit` bytes (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)
