"""Chat benchmark (issue 4). Run by hand: `.venv/bin/python benchmarks/chat.py [--customers 1000 --agents 100]`.

One web process (daphne) serves C widget sockets and A agent desktop sockets. Each customer has an
open conversation assigned to one agent, whose desktop has it open. Measured:
- memory per idle connection: the web process's RSS growth from no sockets to all sockets idle;
- throughput: customers send messages at a target total rate for a while; each message is persisted
  (seq, row) and delivered to the customer's own widget and to the agent's desktop; we count
  messages delivered to agents per second;
- end-to-end latency: from the customer's send to the agent's receipt (p50, p99, over every message
  sent: one that never arrived counts as infinitely late);
- lost and late, honestly: a message the agent did not get within `--window-ms` (1,000) of its send
  is late; one it did not get at all by the end of the run (`--tail` seconds after the last send) is
  lost. Only messages delivered within the window count in the delivered rate;
- the floor, measured in the same run on the same machine: a bare Channels relay
  (benchmarks/relay_asgi.py: same daphne, same channel layer, no database, no tenant) with the same
  sockets, rooms and offered rate; the chat's delivered rate and CPU per message are reported as a
  ratio to it (these machines differ by 2x in absolute speed, and the shared ones by more).
The client runs in this process, on the same 2 cores as the server: the numbers are a floor. By
default the web process is pinned to CPU 0 and the client to the others (`--no-pin` to leave both to
the kernel).
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
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(customers: int, agents: int) -> dict[str, object]:
    sys.argv = sys.argv[:1]
    from benchmarks.routing import setup_env

    setup_env()
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.models import User
    from apps.agents.actions import ensure_agent_profile
    from apps.inbox.models import Contact, ContactIdentity, Interaction
    from apps.tenants.actions import create_tenant_with_owner
    from apps.tenants.models import Tenant
    from apps.widget.identity import visitor_token
    from apps.widget.models import WidgetKey

    call_command("migrate_schemas", interactive=False, verbosity=0)
    old = Tenant.objects.filter(subdomain="chatbench").first()
    if old:
        old.delete(force_drop=True)
    tenant = create_tenant_with_owner(
        company_name="Chat bench", subdomain="chatbench", email="o@c.test", password=None
    ).tenant
    connection.set_schema(tenant.schema_name)
    key = WidgetKey.objects.get()
    key.allowed_origins = ["http://shop.test"]
    key.save()
    users = User.objects.bulk_create(User(email=f"a{n}@c.test", role="agent", password="!") for n in range(agents))
    profiles = [ensure_agent_profile(u) for u in users]
    sessions = []
    for user in users:
        s = SessionStore()
        s["_auth_user_id"] = str(user.pk)
        s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        s["_auth_user_hash"] = user.get_session_auth_hash()
        s.create()
        sessions.append(s.session_key)
    contacts = Contact.objects.bulk_create(Contact(name=f"C{n}") for n in range(customers))
    # Verified, as the widget's own signed visitor token makes it: only a verified identity finds its contact.
    ContactIdentity.objects.bulk_create(
        ContactIdentity(contact=c, kind="visitor", value=f"v{c.pk}", verified=True) for c in contacts
    )
    interactions = Interaction.objects.bulk_create(
        Interaction(
            channel="chat",
            contact=c,
            queue=key.queue,
            routing_status="assigned",
            assignee=users[n % agents],
            assigned_agent=profiles[n % agents],
        )
        for n, c in enumerate(contacts)
    )
    return {
        "schema": tenant.schema_name,
        "key": key.public_key,
        "visitors": [visitor_token(tenant.schema_name, key.pk, c.pk, f"v{c.pk}") for c in contacts],
        "interactions": [i.pk for i in interactions],
        "sessions": sessions,
    }


def cpu_ticks(pid: int) -> tuple[int, int]:
    """(user, system) CPU time of the process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def rss_kb(pid: int) -> int:
    total = 0
    for p in [
        pid,
        *[int(x) for x in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()],
    ]:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


async def run(  # type: ignore[type-arg]
    data: dict, port: int, pid: int, rate: float, seconds: float, window: float, tail: float, relay: bool
) -> dict[str, object]:
    """Offer `rate` messages/s for `seconds` from the customers' sockets and count what the agents'
    sockets receive. `relay`: the bare relay (the floor) instead of the product."""
    from websockets.asyncio.client import connect

    host = f"chatbench.localhost:{port}"
    base_rss = rss_kb(pid)
    latencies: list[float] = []
    sent_at: dict[str, float] = {}

    async def open_customer(n: int, token: str):  # type: ignore[no-untyped-def]
        ws = await connect(
            f"ws://{host}/ws/{'relay' if relay else 'widget'}/",
            host="127.0.0.1",
            port=port,
            origin=f"http://{host}",
            open_timeout=60,
            ping_interval=None,
        )
        if relay:
            await ws.send(json.dumps({"type": "join", "room": n}))
        else:
            await ws.send(
                json.dumps(
                    {
                        "type": "hello",
                        "key": data["key"],
                        "origin": "http://shop.test",
                        "visitor_token": token,
                        "last_seq": 10**9,
                    }
                )
            )
        await ws.recv()
        return ws, n

    async def open_agent(session: str, mine: list[int]):  # type: ignore[no-untyped-def]
        ws = await connect(
            f"ws://{host}/ws/{'relay' if relay else 'desktop'}/",
            host="127.0.0.1",
            port=port,
            additional_headers={"Cookie": f"sessionid={session}"},
            open_timeout=60,
            ping_interval=None,
        )
        if not relay:
            await ws.recv()
        for room, iid in mine:
            if relay:
                await ws.send(json.dumps({"type": "join", "room": room}))
            else:
                await ws.send(json.dumps({"type": "interaction.open", "interaction_id": iid, "last_seq": 10**9}))
            await ws.recv()
        return ws

    agents_n = len(data["sessions"])
    per_agent = [[(n, iid) for n, iid in enumerate(data["interactions"]) if n % agents_n == a] for a in range(agents_n)]
    sem = asyncio.Semaphore(50)

    async def guarded(coro):  # type: ignore[no-untyped-def]
        async with sem:
            return await coro

    t0 = time.perf_counter()
    customers = await asyncio.gather(*(guarded(open_customer(n, t)) for n, t in enumerate(data["visitors"])))
    agents = await asyncio.gather(*(guarded(open_agent(s, per_agent[n])) for n, s in enumerate(data["sessions"])))
    connect_seconds = time.perf_counter() - t0
    await asyncio.sleep(3)
    idle_rss = rss_kb(pid)

    async def agent_reader(ws) -> None:  # type: ignore[no-untyped-def]
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "message":
                cid = frame["message"].get("client_id")
                if cid in sent_at:
                    latencies.append(time.perf_counter() - sent_at.pop(cid))

    async def customer_drain(ws) -> None:  # type: ignore[no-untyped-def]
        async for _ in ws:
            pass

    # The client shares the machine and measures latency on its own loop: keep the 1,100 sockets'
    # objects out of its collector's scans, as the server does (ccaas/asgi.py).
    import gc

    gc.freeze()
    readers = [asyncio.create_task(agent_reader(a)) for a in agents]
    drains = [asyncio.create_task(customer_drain(c)) for c, _room in customers]
    rng = random.Random(1)
    ticks0 = cpu_ticks(pid)
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < seconds:
        due = int((time.perf_counter() - start) * rate)
        while n < due:
            cid = f"b{n}"
            ws, room = rng.choice(customers)
            sent_at[cid] = time.perf_counter()
            frame = {"type": "message.send", "body": f"hello {n}", "client_id": cid}
            await ws.send(json.dumps({**frame, "room": room} if relay else frame))
            n += 1
        await asyncio.sleep(0.002)
    sending = time.perf_counter() - start
    # The tail: messages still on their way when sending stopped may arrive until `tail` seconds
    # later (as late ones, if over the window); the web process's CPU counts until then too, since
    # it is still doing the work of the messages sent.
    await asyncio.sleep(tail)
    ticks1, per_second = cpu_ticks(pid), os.sysconf("SC_CLK_TCK") * (time.perf_counter() - start)
    user, system = (ticks1[0] - ticks0[0]) / per_second, (ticks1[1] - ticks0[1]) / per_second
    cpu_seconds = (ticks1[0] - ticks0[0] + ticks1[1] - ticks0[1]) / os.sysconf("SC_CLK_TCK")
    for task in readers + drains:
        task.cancel()
    for ws in [c for c, _room in customers] + agents:
        await ws.close()
    arrived = len(latencies)
    in_window = sum(1 for x in latencies if x <= window)
    # Percentiles over every message sent: one that never arrived sorts after every one that did.
    everything = sorted(latencies) + [float("inf")] * (n - arrived)

    def pct_ms(p: float) -> float | str | None:
        if not everything:
            return None
        value = everything[min(len(everything) - 1, int(p * len(everything)))]
        return round(1000 * value, 1) if value != float("inf") else f"> {tail * 1000:.0f} (lost)"

    return {
        "connections": len(customers) + len(agents),
        "connect_seconds": round(connect_seconds, 1),
        "rss_mb": {"before": round(base_rss / 1024, 1), "idle_with_all": round(idle_rss / 1024, 1)},
        "kb_per_idle_connection": round((idle_rss - base_rss) / (len(customers) + len(agents)), 1),
        "sent": n,
        "sent_per_second": round(n / sending, 1),
        "delivered_within_window": in_window,
        "late": arrived - in_window,
        "lost": n - arrived,
        "lost_or_late_pct": round(100 * (n - in_window) / n, 2) if n else None,
        "delivered_per_second": round(in_window / sending, 1),
        "web_process_cpu": f"{user + system:.0%} of a core (user {user:.0%}, system {system:.0%})",
        "cpu_ms_per_message": round(1000 * cpu_seconds / arrived, 3) if arrived else None,
        "latency_ms": {"p50": pct_ms(0.5), "p99": pct_ms(0.99)},
    }


def serve(app: str, pin: bool) -> tuple[subprocess.Popen[bytes], int]:
    """daphne serving `app` on a free port (pinned to CPU 0 unless `pin` is off)."""
    from tests.processes import free_port, port_open, wait_until

    port = free_port()
    env = {**os.environ, "PUBLIC_PORT": str(port), "DJANGO_SETTINGS_MODULE": "ccaas.settings.test"}
    # The server's output, to read when sockets are refused or closed (its path is printed).
    log = tempfile.NamedTemporaryFile(prefix=f"chatbench-{app.split(':')[0]}-", suffix=".log", delete=False)
    print(f"{app}: server log {log.name}", file=sys.stderr, flush=True)
    web = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), app],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    wait_until(lambda: port_open(port), 30, "daphne")
    if pin and (os.cpu_count() or 1) > 1:
        # The web process gets CPU 0, this client CPU 1; PostgreSQL and Redis run where the kernel
        # puts them. Unpinned, the kernel sometimes puts the web process beside the client and the
        # same work takes ~15 % more CPU (see docs/benchmarks.md).
        os.sched_setaffinity(web.pid, {0})
        os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)))
    time.sleep(1)
    return web, port


def measure(data: dict, app: str, args: argparse.Namespace, relay: bool) -> dict[str, object]:  # type: ignore[type-arg]
    web, port = serve(app, args.pin)
    try:
        return asyncio.run(run(data, port, web.pid, args.rate, args.seconds, args.window_ms / 1000, args.tail, relay))
    finally:
        web.terminate()
        web.wait(10)


def ratio(a: object, b: object) -> float | None:
    if not isinstance(a, int | float) or not isinstance(b, int | float) or not b:
        return None
    return round(a / b, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second offered")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--window-ms", type=float, default=1000.0, help="later than this counts as late")
    parser.add_argument("--tail", type=float, default=3.0, help="seconds to wait for stragglers: after, lost")
    parser.add_argument(
        "--no-pin", dest="pin", action="store_false", help="leave the web process and the client unpinned"
    )
    args = parser.parse_args()
    data = setup(args.customers, args.agents)
    load_before = os.getloadavg()
    # The floor first: the same sockets, rooms and offered rate through a bare relay.
    floor = measure(data, "benchmarks.relay_asgi:application", args, relay=True)
    chat = measure(data, "ccaas.asgi:application", args, relay=False)
    report = {
        "machine": f"{platform.node()} {os.cpu_count()} cores",
        "load_avg": {"before": load_before, "after": os.getloadavg()},
        "args": vars(args),
        "chat": chat,
        "floor_bare_relay": floor,
        "ratio_to_floor": {
            "delivered_per_second": ratio(chat["delivered_per_second"], floor["delivered_per_second"]),
            "cpu_per_message": ratio(chat["cpu_ms_per_message"], floor["cpu_ms_per_message"]),
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
