"""Journey benchmark (issue 13). Run by hand: `.venv/bin/python benchmarks/journey.py [--contacts 1000000]`.

In a database of its own (`ccaas_bench_journey`, Redis db 12), re-created at every run:

1. Ingestion through the real endpoint on one web process: `POST /widget/events/` as the widget
   loader sends it (text/plain JSON, the page's Origin, a signed visitor token, 20 events a batch:
   page views and site events), from `--visitors` visitors over keep-alive connections, at a target
   rate (`--rate` events/s, default 5,000) for `--seconds`. Reported: events stored per second (only
   answers 204 count, and the rows are counted in the database afterwards), p50 / p99 latency per
   batch (from the first byte sent to the whole answer), errors. Floor, same run, same database:
   a bare `INSERT` of the same rows (one multi-row statement of 20, from this process, through
   psycopg, no Django), as events/s and per batch; the endpoint is reported as a ratio to it.
2. The first page of a journey: one contact with `--events` web events (in visits of 20) and
   `--interactions` interactions (each with queue, offer, handling segments), timed through
   `GET /api/v1/contacts/{id}/journey` on the same web process (p50 / p95 over `--reads` reads) and
   in-process (`contact_journey` + `journey_summary`), first with only that contact, then with
   `--contacts` contacts in the tenant. Floor: a bare indexed read of the contact's 25 newest web
   events (`SELECT ... WHERE contact_id = %s ORDER BY occurred_at DESC LIMIT 25`).
3. Bytes stored per web event: the table's total size (heap, TOAST and indexes) over its rows.

The web process is pinned to CPU 0 and the client to the others (as the chat benchmark), so the
client's own work is not billed to the server; PostgreSQL runs where the kernel puts it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "ccaas_bench_journey"

from benchmarks.common import pct  # noqa: E402
from benchmarks.common import serve as common_serve  # noqa: E402
from benchmarks.common import setup_env as common_setup_env  # noqa: E402


def setup_env() -> None:
    common_setup_env(BENCH_DB, 12)


SHOP = "http://shop.test"


def build(visitors: int) -> dict[str, Any]:
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.models import User
    from apps.inbox.models import Contact
    from apps.tenants.actions import create_tenant_with_owner
    from apps.tenants.models import Tenant
    from apps.widget.identity import visitor_token
    from apps.widget.models import WidgetKey

    call_command("migrate_schemas", interactive=False, verbosity=0)
    old = Tenant.objects.filter(subdomain="journeybench").first()
    if old:
        old.delete(force_drop=True)
    tenant = create_tenant_with_owner(
        company_name="Journey bench", subdomain="journeybench", email="o@j.test", password=None
    ).tenant
    connection.set_schema(tenant.schema_name)
    key = WidgetKey.objects.get()
    key.allowed_origins = [SHOP]
    key.save()
    owner = User.objects.get(email="o@j.test")
    session = SessionStore()
    session["_auth_user_id"] = str(owner.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = owner.get_session_auth_hash()
    session.create()
    contacts = Contact.objects.bulk_create(Contact() for _ in range(visitors))
    return {
        "schema": tenant.schema_name,
        "host": "journeybench.localhost",
        "key": key.public_key,
        "tokens": [visitor_token(tenant.schema_name, key.pk, c.pk, f"v{c.pk}") for c in contacts],
        "session": session.session_key,
    }


def serve() -> tuple[subprocess.Popen[bytes], int]:
    return common_serve("journeybench")


class Http:
    """A keep-alive HTTP/1.1 connection (just enough of it: Content-Length bodies)."""

    def __init__(self, port: int, host: str) -> None:
        self.port, self.host = port, host
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
        if length:
            await self.reader.readexactly(length)
        return status


def batch(token: str, key: str, session: str, n: int) -> bytes:
    now = datetime.now(UTC)
    events: list[dict[str, Any]] = []
    for i in range(n):
        at = (now - timedelta(milliseconds=50 * (n - i))).isoformat()
        if i % 4 == 3:
            events.append(
                {
                    "type": "event",
                    "name": "cart",
                    "session": session,
                    "at": at,
                    "url": f"{SHOP}/cart",
                    "properties": {"value": random.randint(10, 500), "items": random.randint(1, 9)},
                }
            )
        else:
            events.append(
                {
                    "type": "page",
                    "view": f"view{random.randrange(10**9):09d}",
                    "session": session,
                    "at": at,
                    "url": f"{SHOP}/p/{random.randrange(1000)}?utm_source=x&q=secret",
                    "title": "Product page",
                    "referrer": "https://search.example/?q=shoes",
                }
            )
    return json.dumps({"key": key, "visitor": token, "events": events}).encode()


async def ingest(data: dict[str, Any], port: int, rate: float, seconds: float, size: int) -> dict[str, Any]:
    batches_per_s = rate / size
    interval = 1 / batches_per_s
    connections = 64
    pool = [Http(port, data["host"]) for _ in range(connections)]
    free: asyncio.Queue[Http] = asyncio.Queue()
    for c in pool:
        free.put_nowait(c)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    tokens = data["tokens"]
    bodies = [batch(tokens[n % len(tokens)], data["key"], f"sess{n % len(tokens):08d}", size) for n in range(2000)]

    async def one(n: int) -> None:
        conn = await free.get()
        t0 = time.perf_counter()
        try:
            status = await conn.request(
                "POST", "/widget/events/", bodies[n % len(bodies)], {"Content-Type": "text/plain", "Origin": SHOP}
            )
        except (OSError, ValueError, asyncio.IncompleteReadError):
            status, conn.writer = 0, None
        latencies.append(time.perf_counter() - t0)
        statuses[status] = statuses.get(status, 0) + 1
        free.put_nowait(conn)

    tasks = []
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < seconds:
        target = start + n * interval
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n)))
        n += 1
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    ok = statuses.get(204, 0)
    return {
        "offered_events_per_s": round(n * size / seconds),
        "stored_events_per_s": round(ok * size / elapsed),
        "batches": n,
        "statuses": statuses,
        "p50_ms": round(pct(latencies, 50) * 1000, 1),
        "p99_ms": round(pct(latencies, 99) * 1000, 1),
    }


def insert_floor(schema: str, contact_ids: list[int], size: int, batches: int) -> dict[str, Any]:
    """The same rows as one multi-row INSERT each, straight through psycopg."""
    import psycopg

    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    cols = (
        "contact_id, visitor_id, session_id, kind, source, name, url, title, referrer, properties, "
        "occurred_at, received_at"
    )
    placeholders = "(" + ", ".join(["%s"] * 12) + ")"
    sql = f'INSERT INTO "{schema}".journey_webevent ({cols}) VALUES ' + ", ".join([placeholders] * size)
    times = []
    for b in range(batches):
        now = datetime.now(UTC)
        params: list[Any] = []
        for i in range(size):
            params += [
                contact_ids[b % len(contact_ids)],
                "v",
                f"floor{b:06d}",
                "page",
                "widget",
                "page_view",
                f"{SHOP}/p/{i}",
                "Product page",
                "https://search.example/",
                json.dumps({"view": f"v{i}"}),
                now,
                now,
            ]
        t0 = time.perf_counter()
        conn.execute(sql, params)
        times.append(time.perf_counter() - t0)
    conn.execute(f'DELETE FROM "{schema}".journey_webevent WHERE session_id LIKE %s', ["floor%"])
    conn.close()
    return {
        "events_per_s": round(size * len(times) / sum(times)),
        "p50_ms": round(pct(times, 50) * 1000, 2),
        "p99_ms": round(pct(times, 99) * 1000, 2),
    }


def fill_contact(schema: str, events: int, interactions: int) -> int:
    """One contact with `events` web events in visits of 20 and `interactions` interactions with
    their segments, written in bulk."""
    from django.db import connection

    from apps.inbox.models import Contact, Interaction, Segment
    from apps.journey.models import WebEvent
    from apps.routing.models import Queue

    connection.set_schema(schema)
    contact = Contact.objects.create(name="Heavy Customer", email="heavy@example.com")
    queue = Queue.objects.order_by("pk").first()
    start = datetime.now(UTC) - timedelta(days=170)
    span = timedelta(days=169).total_seconds()
    rows = []
    for n in range(events):
        at = start + timedelta(seconds=span * n / events)
        page = n % 5 != 4
        rows.append(
            WebEvent(
                contact=contact,
                visitor_id="heavy",
                session_id=f"s{n // 20:07d}",
                kind="page" if page else "event",
                source="widget",
                name="page_view" if page else "cart",
                url=f"{SHOP}/p/{n % 997}",
                title="Product page" if page else "",
                properties={"view": f"v{n}", "seconds": 30} if page else {"value": 100 + n % 50},
                occurred_at=at,
            )
        )
    WebEvent.objects.bulk_create(rows, batch_size=5000)
    from apps.journey.actions import do_rebuild_web_sessions

    do_rebuild_web_sessions([contact.pk])  # the visits' rollup, as the endpoint keeps it
    made = Interaction.objects.bulk_create(
        Interaction(
            channel=random.choice(["chat", "voice", "email"]),
            contact=contact,
            queue=queue,
            status="resolved",
            routing_status="completed",
            created_at=start + timedelta(seconds=span * n / interactions),
            subject=f"Question {n}",
        )
        for n in range(interactions)
    )
    segments = []
    for i in made:
        t = i.created_at
        segments += [
            Segment(
                interaction=i,
                kind="queue",
                channel=i.channel,
                queue=queue,
                started_at=t,
                ended_at=t + timedelta(seconds=20),
                outcome="answered",
                data={"wait_seconds": 20},
            ),
            Segment(
                interaction=i,
                kind="offer",
                channel=i.channel,
                started_at=t + timedelta(seconds=15),
                ended_at=t + timedelta(seconds=20),
                outcome="accepted",
            ),
            Segment(
                interaction=i,
                kind="handling",
                channel=i.channel,
                started_at=t + timedelta(seconds=20),
                ended_at=t + timedelta(seconds=320),
                outcome="completed",
                data={"talk_seconds": 290, "hold_seconds": 10},
            ),
        ]
    Segment.objects.bulk_create(segments, batch_size=5000)
    with connection.cursor() as cursor:  # as autovacuum leaves a loaded table: vacuumed, analysed
        for table in ("journey_webevent", "journey_websession", "inbox_interaction", "inbox_segment"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return contact.pk


def add_contacts(schema: str, n: int) -> None:
    """`n` more contacts (COPY), so the tenant is as big as a large business's."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn, conn.cursor() as cur:
        now = datetime.now(UTC)
        with cur.copy(f'COPY "{schema}".inbox_contact (name, email, phone, attributes, created_at) FROM STDIN') as copy:
            for i in range(n):
                copy.write_row((f"Customer {i}", f"c{i}@example.com", "", "{}", now))
        # Vacuumed as well as analysed: autovacuum would otherwise vacuum the freshly loaded million
        # rows while the reads are measured (the steady state of a big tenant is a vacuumed table).
        cur.execute(f'VACUUM (ANALYZE) "{schema}".inbox_contact')


def journey_reads(data: dict[str, Any], port: int, contact_id: int, reads: int) -> dict[str, Any]:
    from django.db import connection

    from apps.inbox.models import Contact
    from apps.journey.selectors import JourneyFilters, journey_with_summary

    async def http_reads() -> list[float]:
        conn = Http(port, data["host"])
        times = []
        for _ in range(reads):
            t0 = time.perf_counter()
            status = await conn.request(
                "GET", f"/api/v1/contacts/{contact_id}/journey", headers={"Cookie": f"sessionid={data['session']}"}
            )
            times.append(time.perf_counter() - t0)
            assert status == 200, status
        return times

    http = asyncio.run(http_reads())
    connection.set_schema(data["schema"])
    contact = Contact.objects.get(pk=contact_id)
    inproc = []
    for _ in range(reads):
        t0 = time.perf_counter()
        journey_with_summary(contact, JourneyFilters())
        inproc.append(time.perf_counter() - t0)
    floor = []
    with connection.cursor() as cursor:
        for _ in range(reads):
            t0 = time.perf_counter()
            cursor.execute(
                "SELECT id, name, url, occurred_at FROM journey_webevent WHERE contact_id = %s "
                "ORDER BY occurred_at DESC LIMIT 25",
                [contact_id],
            )
            cursor.fetchall()
            floor.append(time.perf_counter() - t0)
    return {
        "http_p50_ms": round(pct(http, 50) * 1000, 1),
        "http_p95_ms": round(pct(http, 95) * 1000, 1),
        "inprocess_p50_ms": round(pct(inproc, 50) * 1000, 1),
        "inprocess_p95_ms": round(pct(inproc, 95) * 1000, 1),
        "floor_indexed_read_p50_ms": round(pct(floor, 50) * 1000, 2),
        "ratio_http_p95_to_floor_p50": round(pct(http, 95) / pct(floor, 50), 1),
    }


def bytes_per_event(schema: str) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT pg_total_relation_size(\'"{schema}".journey_webevent\'), count(*) FROM "{schema}".journey_webevent'
        )
        size, count = cursor.fetchone()
        cursor.execute(f"SELECT pg_relation_size('\"{schema}\".journey_webevent')")
        (heap,) = cursor.fetchone()
    return {"rows": count, "bytes_per_event_total": round(size / count), "bytes_per_event_heap": round(heap / count)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=5000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--size", type=int, default=20)
    parser.add_argument("--visitors", type=int, default=2000)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--interactions", type=int, default=500)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    sys.argv = sys.argv[:1]
    setup_env()
    # One visitor's batches per minute as the real endpoint allows them: the offered rate spreads over
    # the visitors, each well under the limit (the limit itself is part of what is measured).
    data = build(args.visitors)
    from django.db import connection

    connection.set_schema(data["schema"])
    from apps.inbox.models import Contact

    visitor_ids = list(Contact.objects.values_list("pk", flat=True)[:100])
    floor = insert_floor(data["schema"], visitor_ids, args.size, 500)
    web, port = serve()
    try:
        time.sleep(1)
        asyncio.run(ingest(data, port, args.rate / 10, 3, args.size))  # warm-up
        result = asyncio.run(ingest(data, port, args.rate, args.seconds, args.size))
        connection.set_schema(data["schema"])
        result["ratio_stored_rate_to_insert_floor"] = round(result["stored_events_per_s"] / floor["events_per_s"], 3)
        heavy = fill_contact(data["schema"], args.events, args.interactions)
        small = journey_reads(data, port, heavy, args.reads)
        stored = bytes_per_event(data["schema"])
        add_contacts(data["schema"], args.contacts)
        big = journey_reads(data, port, heavy, args.reads)
    finally:
        web.terminate()
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "args": vars(args),
        "insert_floor": floor,
        "ingestion": result,
        "journey_first_page": small,
        f"journey_first_page_with_{args.contacts}_contacts": big,
        "storage": stored,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
