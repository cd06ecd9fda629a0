"""Inbound email benchmark (issue 16). `flock /tmp/bench.lock .venv/bin/python benchmarks/email_ingest.py`

What one worker does with each received mail (`email.receive`, called in this process as the worker
calls it, without the broker hop): the stored file read, the mail parsed, deduplicated, threaded,
its contact found or made, its conversation opened through the inbox's one action (routing's enqueue
included) or the reply appended, attachments kept, the acknowledgement queued, the file removed.
Half the mails start conversations (distinct senders), half answer them (In-Reply-To). Floors, same
run: the bare database round trip (`SELECT 1`) and the bare parse of the same mails
(`apps.email.parsing.parse`). Target: >= 100 mails/s on one worker."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import pct, setup_env  # noqa: E402

BENCH_DB = "ccaas_bench_email"


def mails(count: int, to: str) -> list[bytes]:
    from tests.mail import fixtures

    out = []
    for n in range(count // 2):
        first = fixtures.first_mail(to, message_id=f"b{n}@example.com", body=f"Order {n} never arrived.")
        out.append(first.replace(b"wu.lei@example.com", f"c{n}@example.com".encode()))
    for n in range(count // 2):
        reply = fixtures.first_mail(to, message_id=f"r{n}@example.com", body=f"Any news on order {n}?\n\n> quoted")
        reply = reply.replace(b"wu.lei@example.com", f"c{n}@example.com".encode())
        out.append(reply.replace(b"MIME-Version", f"In-Reply-To: <b{n}@example.com>\r\nMIME-Version".encode(), 1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--show-statements", action="store_true", help="print the SQL of the first mail and reply")
    args = parser.parse_args()
    setup_env(BENCH_DB, 10)
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from django.db import connection

    from apps.email.parsing import parse
    from apps.email.tasks import receive
    from apps.tenants.actions import create_tenant_with_owner
    from apps.tenants.models import Tenant

    call_command("migrate_schemas", interactive=False, verbosity=0)
    old = Tenant.objects.filter(subdomain="mailbench").first()
    if old:
        old.delete(force_drop=True)
    tenant = create_tenant_with_owner(
        company_name="Mail bench", subdomain="mailbench", email="o@m.test", password=None
    ).tenant
    connection.set_schema(tenant.schema_name)
    batch = mails(args.mails, "support@mailbench.mail.localhost")

    round_trips = []
    with connection.cursor() as cursor:
        for _ in range(300):
            t = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            round_trips.append(time.perf_counter() - t)
    parses = []
    for raw in batch:
        t = time.perf_counter()
        parse(raw)
        parses.append(time.perf_counter() - t)
    paths = [
        default_storage.save(f"{tenant.schema_name}/mail/in/{n}.eml", ContentFile(raw)) for n, raw in enumerate(batch)
    ]
    each, statements = [], []
    counted = [0]

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        counted[0] += 1
        if args.show_statements and len(each) in (0, len(paths) // 2):
            print(f"  [{len(each)}] {sql[:160]}", file=sys.stderr)
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        for path in paths:
            t = time.perf_counter()
            before = counted[0]
            receive(path, ["support"])
            each.append(time.perf_counter() - t)
            statements.append(counted[0] - before)
    total = time.perf_counter() - started
    from apps.inbox.models import Interaction, Message

    floor = pct(round_trips, 50)
    print(
        json.dumps(
            {
                "machine": {"cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine()},
                "mails": len(batch),
                "conversations": Interaction.objects.filter(channel="email").count(),
                "messages": Message.objects.filter(kind="customer").count(),
                "mails_per_second": round(len(batch) / total, 1),
                "per_mail_p50_ms": round(pct(each, 50) * 1000, 2),
                "per_mail_p99_ms": round(pct(each, 99) * 1000, 2),
                "new_conversation_p50_ms": round(pct(each[: len(each) // 2], 50) * 1000, 2),
                "reply_p50_ms": round(pct(each[len(each) // 2 :], 50) * 1000, 2),
                # Statements sent to PostgreSQL per mail (the machine's speed does not move these).
                "statements_new_conversation_p50": pct(statements[: len(statements) // 2], 50),
                "statements_reply_p50": pct(statements[len(statements) // 2 :], 50),
                "floor_select1_p50_ms": round(floor * 1000, 3),
                "floor_parse_p50_ms": round(pct(parses, 50) * 1000, 3),
                "ratio_per_mail_to_select1": round(pct(each, 50) / floor, 1),
                "ratio_per_mail_to_parse": round(pct(each, 50) / pct(parses, 50), 1),
                "target_100_per_s_met": len(batch) / total >= 100,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
