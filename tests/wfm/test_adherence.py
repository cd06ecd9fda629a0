"""Adherence (issue 15): presence history rows written by hand against a published schedule give the exact
adherence and conformance per agent and day, and per interval; the same figures reach the agent's scorecard;
a draft schedule counts for nothing; who is out of adherence now, since when; planners only; tenants apart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.agents.models import AgentProfile, PresenceChange, ReasonCode
from apps.wfm.models import Activity, Schedule, Shift
from tests.conftest import PASSWORD, TenantInfo

DAY = date(2026, 11, 30)  # a Monday in the past


def at(hours: float, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hours)


def login(tenant: TenantInfo, email: str) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def staff(tenant: TenantInfo) -> dict[str, AgentProfile]:
    connection.set_schema(tenant.schema_name)
    out = {}
    for name, role in (("sue", "supervisor"), ("ann", "agent"), ("bob", "agent")):
        user = User.objects.create_user(
            email=f"{name}@{tenant.subdomain}.test", password=PASSWORD, role=role, full_name=name.title()
        )
        out[name] = ensure_agent_profile(user)
    return out


def shift(schedule: Schedule, agent: AgentProfile, start: datetime, end: datetime, *acts: tuple) -> Shift:
    row = Shift.objects.create(schedule=schedule, agent=agent, start=start, end=end)
    for kind, a, b in acts:
        Activity.objects.create(shift=row, kind=kind, start=a, end=b)
    return row


def presence(agent: AgentProfile, state: str, start: datetime, end: datetime | None, reason: str = "") -> None:
    code = ReasonCode.objects.get_or_create(name=reason)[0] if reason else None
    PresenceChange.objects.create(agent=agent, state=state, started_at=start, ended_at=end, reason=code)


def test_adherence_and_conformance_from_the_presence_history(tenant_a: TenantInfo, tenant_b: TenantInfo) -> None:
    p = staff(tenant_a)
    ann, bob = p["ann"], p["bob"]
    week = Schedule.objects.create(name="Week 49", first_day=DAY, weeks=1, time_zone="UTC", status="published")
    shift(week, ann, at(9), at(17), ("lunch", at(12), at(12.5)), ("break", at(15), at(15.25)))
    shift(week, bob, at(9), at(13))
    # A draft of the same day counts for nothing.
    draft = Schedule.objects.create(name="Draft", first_day=DAY, weeks=1, time_zone="UTC")
    shift(draft, bob, at(13), at(17))
    presence(ann, "available", at(9.25), at(12))  # 15 minutes late
    presence(ann, "away", at(12), at(12.75), "Lunch")  # a 45-minute lunch for a 30-minute one
    presence(ann, "available", at(12.75), at(15.25))  # worked through her break
    presence(ann, "wrap_up", at(15.25), at(17.5))  # and 30 minutes after her shift
    presence(ann, "offline", at(17.5), at(33))
    presence(bob, "available", at(8), at(13))  # came an hour early
    connection.set_schema_to_public()

    sue = login(tenant_a, f"sue@{tenant_a.subdomain}.test")
    got = sue.get("/api/v1/wfm/adherence", {"from": DAY.isoformat(), "days": 2, "time_zone": "UTC"})
    assert got.status_code == 200, got.content
    rows = {(r["agent"]["name"], r["day"]): r for r in got.json()["results"]}
    assert set(rows) == {("Ann", "2026-11-30"), ("Bob", "2026-11-30")}
    a = rows[("Ann", "2026-11-30")]
    # Scheduled 8 h; exceptions 15 (late) + 15 (long lunch) + 15 (worked the break) = 45 min.
    assert (a["scheduled_seconds"], a["exception_seconds"]) == (8 * 3600, 45 * 60)
    assert a["adherence"] == round(100 * (1 - 45 / 480), 2) == 90.62
    # Worked 2:45 + 2:30 + 2:15 = 7:30 against 7:15 of scheduled work (8 h less lunch and break).
    assert (a["worked_seconds"], a["scheduled_work_seconds"]) == (7.5 * 3600, 7.25 * 3600)
    assert a["conformance"] == round(100 * 7.5 / 7.25, 2) == 103.45
    b = rows[("Bob", "2026-11-30")]
    assert (b["adherence"], b["conformance"]) == (100.0, 125.0)

    # Per 15 minutes for one agent and day: the exceptions where they happened.
    per = sue.get("/api/v1/wfm/adherence", {"from": DAY.isoformat(), "days": 1, "agent": ann.pk,
                                            "interval": "15", "time_zone": "UTC"}).json()["results"]  # fmt: skip
    assert len(per) == 96
    by_start = {r["start"][11:16]: r for r in per}
    assert (by_start["09:00"]["adherence"], by_start["09:15"]["adherence"]) == (0.0, 100.0)
    assert by_start["12:15"]["adherence"] == 100.0 and by_start["12:30"]["adherence"] == 0.0
    assert by_start["15:00"]["adherence"] == 0.0 and by_start["15:00"]["conformance"] is None
    assert by_start["17:15"]["adherence"] is None and by_start["17:15"]["worked_seconds"] == 900
    assert sum(r["exception_seconds"] for r in per) == 45 * 60

    # The page: per day, and Ann's day per 15 minutes (only the intervals with something in them).
    page = sue.get("/wfm/adherence/", {"from": DAY.isoformat(), "days": 1, "time_zone": "UTC"}).content.decode()
    assert 'data-agent="Ann" data-day="2026-11-30"' in page and "90.62%" in page and "103.45%" in page
    link = f"?agent={ann.pk}&amp;from=2026-11-30&amp;days=1&amp;interval=15"
    assert link in page
    detail = sue.get("/wfm/adherence/", {"agent": ann.pk, "from": DAY.isoformat(), "days": 1, "interval": "15",
                                         "time_zone": "UTC"}).content.decode()  # fmt: skip
    assert detail.count("<tr data-start=") == 34  # 09:00-17:30: the shift and the half hour after it
    assert '<tr data-start="09:00"><th scope="row">Ann 09:00</th><td>15.0</td><td>15.0</td><td>0.0</td>' in detail

    # Ann's scorecard of that week shows the same figures.
    owner = login(tenant_a, tenant_a.email)
    card = owner.get(f"/api/v1/reports/scorecards/{ann.pk}", {"period": "week", "date": DAY.isoformat()}).json()
    metrics = {m["name"]: m for m in card["metrics"]}
    assert (metrics["adherence"]["label"], metrics["adherence"]["value"]) == ("Adherence", 90.62)
    assert metrics["conformance"]["value"] == 103.45

    bad = sue.get("/api/v1/wfm/adherence", {"from": "yesterday", "days": 40, "interval": "15"})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"from", "days", "interval"}
    agent = login(tenant_a, f"ann@{tenant_a.subdomain}.test")
    assert agent.get("/api/v1/wfm/adherence").status_code == 403
    assert agent.get("/api/v1/wfm/adherence/now").status_code == 403
    assert agent.get("/wfm/adherence/").status_code == 403

    # Another tenant's planner sees none of it.
    connection.set_schema(tenant_b.schema_name)
    User.objects.create_user(email=f"sue@{tenant_b.subdomain}.test", password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()
    other = login(tenant_b, f"sue@{tenant_b.subdomain}.test")
    assert other.get("/api/v1/wfm/adherence", {"from": DAY.isoformat(), "time_zone": "UTC"}).json()["results"] == []


def test_who_is_out_of_adherence_now(tenant_a: TenantInfo) -> None:
    p = staff(tenant_a)
    ann, bob = p["ann"], p["bob"]
    now = timezone.now()
    today = now.date()
    week = Schedule.objects.create(name="Now", first_day=today - timedelta(days=today.weekday()), weeks=1,
                                   time_zone="UTC", status="published")  # fmt: skip
    # Ann should be working; she has been away for 10 minutes. Bob is on his break, and is on it.
    shift(week, ann, now - timedelta(hours=2), now + timedelta(hours=2))
    shift(week, bob, now - timedelta(hours=2), now + timedelta(hours=2),
          ("break", now - timedelta(minutes=5), now + timedelta(minutes=10)))  # fmt: skip
    presence(ann, "available", now - timedelta(hours=3), now - timedelta(minutes=10))
    presence(ann, "away", now - timedelta(minutes=10), None, "Coffee")
    presence(bob, "available", now - timedelta(hours=3), now - timedelta(minutes=5))
    presence(bob, "away", now - timedelta(minutes=5), None, "Break")
    connection.set_schema_to_public()
    sue = login(tenant_a, f"sue@{tenant_a.subdomain}.test")
    rows = sue.get("/api/v1/wfm/adherence/now").json()["results"]
    assert [(r["agent"]["name"], r["activity"], r["state"], r["reason"]) for r in rows] == [
        ("Ann", "work", "away", "Coffee")
    ]
    assert 600 <= rows[0]["seconds"] <= 660
    page = sue.get("/wfm/adherence/now/")
    assert page.status_code == 200 and b"Ann" in page.content and b"Bob" not in page.content
