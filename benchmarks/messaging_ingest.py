"""Messaging webhook ingestion benchmark (issue 16).
`flock /tmp/bench.lock .venv/bin/python benchmarks/messaging_ingest.py`

In a database of its own (`ccaas_bench_messaging`, Redis db 13), re-created at every run: one tenant
with a WhatsApp channel. A client sends WhatsApp Cloud API deliveries, one customer message each,
signed with the channel's app secret (`X-Hub-Signature-256`) as Meta signs them, to
`POST /hooks/messaging/<key>/` on one web process (daphne, pinned to CPU 0, the client on the other
CPU), over 64 keep-alive connections, at a fixed offered rate (`--rate` messages/s) for `--seconds`.
Reported: messages stored per second (answers 200, and the rows counted in the database afterwards),
p50 / p99 from the first byte sent to the whole answer. No drain worker runs: this is what the
provider waits for.

Floors, same run: (1) the same load against a bare ASGI app under daphne that reads the body and
answers 200 (benchmarks/http_asgi.py): what daphne and the client cost; (2) the bare statement, one
`INSERT ... ON CONFLICT DO NOTHING` of the same row straight through psycopg from this process. Target:
>= 1,000 messages/s with p99 < 50 ms."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import pct, setup_env  # noqa: E402
from benchmarks.common import serve as common_serve  # noqa: E402

SECRET = "bench-app-secret"


def body(n: int) -> bytes:
    wa = f"49151{n % 100000:07d}"
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "WABA",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"phone_number_id": "1098765"},
                                "contacts": [{"profile": {"name": f"Customer {n}"}, "wa_id": wa}],
                                "messages": [
                                    {
                                        "from": wa,
                                        "id": f"wamid.bench{n:09d}",
                                        "timestamp": str(int(time.time())),
                                        "type": "text",
                                        "text": {"body": f"Where is my order {n}?"},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def build() -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.models import User
    from apps.messaging.actions import do_save_channel
    from apps.routing.models import Queue
    from apps.tenants.actions import create_tenant_with_owner
    from apps.tenants.models import Tenant

    call_command("migrate_schemas", interactive=False, verbosity=0)
    old = Tenant.objects.filter(subdomain="msgbench").first()
    if old:
        old.delete(force_drop=True)
    tenant = create_tenant_with_owner(
        company_name="Msg bench", subdomain="msgbench", email="o@mb.test", password=None
    ).tenant
    connection.set_schema(tenant.schema_name)
    channel = do_save_channel(
        User.objects.get(email="o@mb.test"),
        {
            "provider": "whatsapp",
            "name": "Bench",
            "address": "1098765",
            "queue": Queue.objects.get().pk,
            "secrets": {"access_token": "x", "app_secret": SECRET},
        },
    )
    from django.conf import settings

    return {
        "schema": tenant.schema_name,
        "key": str(channel.key),
        "channel": channel.pk,
        "host": f"msgbench.{settings.BASE_DOMAIN}",
    }


def serve_floor() -> tuple[subprocess.Popen[bytes], int]:
    from tests.processes import free_port, port_open, wait_until

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "benchmarks.http_asgi:application"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: port_open(port), 30, "the floor's daphne")
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(proc.pid, {0})
        os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)))
    return proc, port


async def load(port: int, host: str, path: str, rate: float, seconds: float, offset: int) -> dict[str, Any]:
    from benchmarks.journey import Http

    interval = 1 / rate
    pool = [Http(port, host) for _ in range(64)]
    free: asyncio.Queue[Any] = asyncio.Queue()
    for c in pool:
        free.put_nowait(c)
    count = int(rate * seconds)
    bodies = [body(offset + n) for n in range(count)]
    signed = [
        {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), b, hashlib.sha256).hexdigest(),
        }
        for b in bodies
    ]
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(n: int) -> None:
        conn = await free.get()
        t0 = time.perf_counter()
        try:
            status = await conn.request("POST", path, bodies[n], signed[n])
        except (OSError, ValueError, asyncio.IncompleteReadError):
            status, conn.writer = 0, None
        latencies.append(time.perf_counter() - t0)
        statuses[status] = statuses.get(status, 0) + 1
        free.put_nowait(conn)

    tasks = []
    start = time.perf_counter()
    for n in range(count):
        delay = start + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    return {
        "seconds": round(elapsed, 2),
        "offered_per_s": round(count / seconds),
        "answered_200_per_s": round(statuses.get(200, 0) / elapsed),
        "statuses": statuses,
        "p50_ms": round(pct(latencies, 50) * 1000, 2),
        "p99_ms": round(pct(latencies, 99) * 1000, 2),
    }


def insert_floor(data: dict[str, Any], rows: int) -> dict[str, Any]:
    import psycopg
    from psycopg.types.json import Jsonb

    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    sql = (
        f'INSERT INTO "{data["schema"]}".messaging_inbound (channel_id, kind, provider_id, payload, state, error, '
        "received_at) VALUES (%s, 'message', %s, %s, 'pending', '', now()) ON CONFLICT DO NOTHING"
    )
    payload = json.loads(body(0))
    times = []
    for n in range(rows):
        t0 = time.perf_counter()
        conn.execute(sql, [data["channel"], f"floor{n}", Jsonb(payload)])
        times.append(time.perf_counter() - t0)
    conn.execute(f'DELETE FROM "{data["schema"]}".messaging_inbound WHERE provider_id LIKE %s', ["floor%"])
    conn.close()
    return {
        "per_s": round(len(times) / sum(times)),
        "p50_ms": round(pct(times, 50) * 1000, 3),
        "p99_ms": round(pct(times, 99) * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    sys.argv = sys.argv[:1]
    setup_env("ccaas_bench_messaging", 13)
    data = build()
    from django.db import connection

    path = f"/hooks/messaging/{data['key']}/"
    db_floor = insert_floor(data, 2000)
    floor_proc, floor_port = serve_floor()
    try:
        asyncio.run(load(floor_port, data["host"], path, args.rate / 10, 2, 0))  # warm-up
        http_floor = asyncio.run(load(floor_port, data["host"], path, args.rate, args.seconds, 0))
    finally:
        floor_proc.terminate()
    web, port = common_serve("msgbench")
    try:
        time.sleep(1)
        asyncio.run(load(port, data["host"], path, args.rate / 10, 2, 900_000_000))  # warm-up
        result = asyncio.run(load(port, data["host"], path, args.rate, args.seconds, 0))
    finally:
        web.terminate()
    connection.set_schema(data["schema"])
    from apps.messaging.models import Inbound

    stored = Inbound.objects.filter(provider_id__startswith="wamid.bench0").count()
    result["rows_stored"] = stored
    result["stored_per_s"] = round(stored / result["seconds"])
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "args": vars(args),
        "floor_bare_insert": db_floor,
        "floor_bare_daphne_http": http_floor,
        "webhook": result,
        "ratio_p99_to_bare_http_p99": round(result["p99_ms"] / max(http_floor["p99_ms"], 0.001), 2),
        "ratio_stored_rate_to_bare_insert_rate": round(result["stored_per_s"] / db_floor["per_s"], 3),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
