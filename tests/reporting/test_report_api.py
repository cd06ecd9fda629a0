"""The report API's edges (issue 14): each bad parameter named in a 400; supervisors and up only; the
same rows as CSV and XLSX files; the metrics dictionary; reporting settings checked and audited; the
roll-up done by a real Celery worker, as beat would run it; tenants see only their own numbers."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.models import AuditEntry, User
from apps.agents.actions import ensure_agent_profile
from apps.inbox.models import Interaction, Segment
from apps.reporting.actions import do_roll_up
from apps.reporting.metrics import METRICS
from apps.routing.models import Queue
from tests.conftest import PASSWORD, CeleryWorker, TenantInfo, create_tenant, wait_until


def login(tenant: TenantInfo, email: str | None = None) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": email or tenant.email, "password": PASSWORD}).status_code == 302
    return client


def some_work(tenant: TenantInfo, n: int = 3) -> Queue:
    """`n` chats answered today in Support after 12 s, handled for 100 s by one agent."""
    connection.set_schema(tenant.schema_name)
    queue = Queue.objects.get(name="Support")
    user = User.objects.create_user(email=f"al@{tenant.subdomain}.test", password=PASSWORD, role="agent")
    agent = ensure_agent_profile(user).pk
    now = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=30)
    for k in range(n):
        t = now + timedelta(minutes=k)
        i = Interaction.objects.create(channel="chat", created_at=t, queue=queue)
        Segment.objects.create(interaction=i, kind="queue", started_at=t, ended_at=t + timedelta(seconds=12),
                               outcome="answered", channel="chat", queue=queue, data={"agent": agent})  # fmt: skip
        Segment.objects.create(interaction=i, kind="handling", started_at=t + timedelta(seconds=12),
                               ended_at=t + timedelta(seconds=112), outcome="completed", channel="chat", queue=queue,
                               agent_id=agent, data={"talk_seconds": 100, "hold_seconds": 0})  # fmt: skip
    connection.set_schema_to_public()
    return queue


def test_bad_parameters_are_named_and_only_supervisors_read() -> None:
    tenant = create_tenant("rpa")
    owner = login(tenant)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"interval": "fortnight"}, "interval"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-03-10T10:00:00"}, "from"),  # a time needs its zone
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
        ({"from": "2025-01-01", "to": "2026-12-01"}, "to"),  # too long
        ({"channel": "pigeon"}, "channel"),
        ({"sl_seconds": "17"}, "sl_seconds"),
        ({"queue": "1;drop"}, "queue"),
    ]
    for params, field in cases:
        answer = owner.get("/api/v1/reports/queues", params)
        assert answer.status_code == 400, params
        assert field in answer.json()["error"]["fields"], (params, answer.json())
    connection.set_schema(tenant.schema_name)
    User.objects.create_user(email=f"ag@{tenant.subdomain}.test", password=PASSWORD, role="agent")
    User.objects.create_user(email=f"su@{tenant.subdomain}.test", password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()
    agent = login(tenant, f"ag@{tenant.subdomain}.test")
    assert agent.get("/api/v1/reports/queues").status_code == 403
    assert agent.get("/reports/").status_code == 403
    supervisor = login(tenant, f"su@{tenant.subdomain}.test")
    assert supervisor.get("/api/v1/reports/agents").status_code == 200
    assert (
        supervisor.patch("/api/v1/reports/settings", {"time_zone": "UTC"}, content_type="application/json").status_code
        == 403
    )
    listed = supervisor.get("/api/v1/reports/metrics").json()
    names = [m["name"] for m in listed["results"]]
    assert names == [m.name for m in METRICS] and "service_level" in names
    assert [m["name"] for m in listed["schedule"]] == ["adherence", "conformance"]
    assert "exceptions / scheduled time" in listed["schedule"][0]["definition"]


def test_the_same_rows_as_files_and_tenants_apart() -> None:
    tenant, other = create_tenant("rpa"), create_tenant("rpb")
    queue = some_work(tenant)
    some_work(other, n=1)
    for t in (tenant, other):
        connection.set_schema(t.schema_name)
        do_roll_up()
    connection.set_schema_to_public()
    owner = login(tenant)
    rows = owner.get("/api/v1/reports/queues", {"interval": "total"}).json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["queue"], row["offered"], row["answered"], row["asa_seconds"], row["aht_seconds"]) == (
        {"id": queue.pk, "name": "Support"},
        3,
        3,
        12.0,
        100.0,
    )
    assert row["service_level"] == 100.0  # 12 s is within the queue's 20 s
    table = owner.get("/api/v1/reports/queues", {"interval": "total", "format": "csv"})
    assert table.status_code == 200 and table["Content-Type"].startswith("text/csv")
    assert "attachment" in table["Content-Disposition"]
    parsed = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert parsed[0][:4] == ["period", "queue_id", "queue_name", "offered"]
    assert parsed[1][1:5] == [str(queue.pk), "Support", "3", "3"]
    book = owner.get("/api/v1/reports/queues", {"interval": "total", "format": "xlsx"})
    assert book.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(book.content)).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][:4] == ["period", "queue_id", "queue_name", "offered"] and values[1][2:4] == ["Support", 3]
    behind = owner.get("/api/v1/reports/interactions", {"metric": "answered", "queue": queue.pk}).json()
    assert [r["seconds"] for r in behind["results"]] == [12.0, 12.0, 12.0] and behind["more"] is False
    assert behind["results"][0]["queue"] == {"id": queue.pk, "name": "Support"}
    handled = owner.get("/api/v1/reports/interactions", {"metric": "handled"}).json()["results"]
    assert [r["agent"]["name"] for r in handled] == ["al"] * 3
    nope = owner.get("/api/v1/reports/interactions", {"metric": "service_level"})
    assert nope.status_code == 400 and "metric" in nope.json()["error"]["fields"]
    bad = owner.get("/api/v1/reports/queues", {"interval": "nope", "format": "csv"})
    assert bad.status_code == 400 and b"interval" in bad.content  # an error stays readable
    assert login(other).get("/api/v1/reports/queues", {"interval": "total"}).json()["results"][0]["offered"] == 1


def test_settings_are_checked_and_audited() -> None:
    tenant = create_tenant("rps")
    owner = login(tenant)
    bad = owner.patch(
        "/api/v1/reports/settings",
        {"time_zone": "Mars/Olympus", "short_abandon_seconds": 7, "service_level_formula": "vibes"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"time_zone", "short_abandon_seconds", "service_level_formula"}
    ok = owner.patch(
        "/api/v1/reports/settings",
        {"time_zone": "Asia/Shanghai", "short_abandon_seconds": 10, "service_level_formula": "answered"},
        content_type="application/json",
    )
    assert ok.json() == {"time_zone": "Asia/Shanghai", "short_abandon_seconds": 10, "service_level_formula": "answered"}
    answer = owner.get("/api/v1/reports/channels", {"from": "2026-06-01"}).json()
    assert answer["time_zone"] == "Asia/Shanghai" and answer["from"] == "2026-06-01T00:00:00+08:00"
    connection.set_schema(tenant.schema_name)
    assert AuditEntry.objects.filter(verb="reporting.settings_saved").count() == 1


def test_a_celery_worker_rolls_up_what_happened(reports_worker: CeleryWorker) -> None:
    tenant = create_tenant("rpc")
    some_work(tenant, n=2)
    from apps.reporting.tasks import roll_up

    roll_up.delay()
    owner = login(tenant)

    def offered() -> int:
        rows = owner.get("/api/v1/reports/queues", {"interval": "total"}).json()["results"]
        return rows[0]["offered"] if rows else 0

    wait_until(lambda: offered() == 2, 30, "the worker's roll-up")
