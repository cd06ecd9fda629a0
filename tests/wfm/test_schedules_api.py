"""Schedules through the API (issue 15): contracts and availability checked; a schedule generated from the
queue's forecast covers it (every interval's agents at work against the requirement, counted from the rows),
inside each agent's availability and contract, breaks placed; hand edits refused with a message when they
overlap or leave the availability; agents see only their own published shifts; permissions; tenants apart."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client

from apps.accounts.models import AuditEntry, User
from apps.agents.actions import ensure_agent_profile
from apps.agents.models import AgentProfile
from apps.routing.models import Queue
from apps.wfm.models import ForecastOverride, Schedule, Shift
from apps.wfm.schedule import requirement
from tests.conftest import PASSWORD, TenantInfo

BERLIN = ZoneInfo("Europe/Berlin")


def client_for(tenant: TenantInfo, email: str) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    return getattr(client, method)(path, json.dumps(body) if body is not None else "", content_type="application/json")


def people(tenant: TenantInfo, agents: int = 4) -> dict[str, AgentProfile]:
    connection.set_schema(tenant.schema_name)
    out = {}
    for name, role in [("sue", "supervisor"), *[(f"agent{i}", "agent") for i in range(agents)]]:
        user = User.objects.create_user(
            email=f"{name}@{tenant.subdomain}.test", password=PASSWORD, role=role, full_name=name.title()
        )
        out[name] = ensure_agent_profile(user)
    return out


def next_monday() -> date:
    today = date.today()
    return today + timedelta(days=7 - today.weekday())


def test_generate_edit_publish_and_see_ones_own(tenant_a: TenantInfo, tenant_b: TenantInfo) -> None:
    staff = people(tenant_a, agents=8)
    queue = Queue.objects.get(name="Support")
    monday = next_monday()
    # The forecast: contacts on Monday and Tuesday 09:00-17:00, a planner's figures (15-minute intervals).
    overrides = []
    for d in range(2):
        for k in range(9 * 4, 17 * 4):
            start = datetime.combine(monday + timedelta(days=d), datetime.min.time(), tzinfo=BERLIN)
            at = start + timedelta(minutes=15 * k)
            overrides.append(
                ForecastOverride(queue=queue, channel="", interval_minutes=15, start=at, volume=6, aht_seconds=150)
            )
    ForecastOverride.objects.bulk_create(overrides)
    connection.set_schema_to_public()
    sue = client_for(tenant_a, f"sue@{tenant_a.subdomain}.test")

    # Contracts and availability, every bad field named.
    bad = send(sue, "post", "/api/v1/wfm/contracts", {"name": "", "shift_minutes": [30], "max_days_week": 9})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"name", "shift_minutes", "max_days_week"}
    made = send(sue, "post", "/api/v1/wfm/contracts", {"name": "Full time", "min_minutes_week": 960,
                                                       "max_minutes_week": 2400, "shift_minutes": [480, 360],
                                                       "max_days_week": 5})  # fmt: skip
    assert made.status_code == 201, made.content
    contract = made.json()["id"]
    agents = [staff[f"agent{i}"] for i in range(8)]
    weekdays = [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)]
    bad = send(sue, "put", f"/api/v1/wfm/availability/{agents[0].pk}",
               {"contract": 999, "windows": [{"weekday": 7, "start": "08:00", "end": "09:00"},
                                             {"weekday": 1, "start": "10:00", "end": "09:00"}]})  # fmt: skip
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"contract", "windows[0].weekday", "windows[1].start"}
    for a in agents:
        ok = send(sue, "put", f"/api/v1/wfm/availability/{a.pk}", {"contract": contract, "windows": weekdays})
        assert ok.status_code == 200 and len(ok.json()["windows"]) == 5

    bad = send(sue, "post", "/api/v1/wfm/schedules/generate", {"queue": queue.pk, "first_day": "2026-12-09",
                                                               "weeks": 9, "time_zone": "Mars/Olympus"})  # fmt: skip
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"first_day", "weeks", "time_zone"}
    got = send(sue, "post", "/api/v1/wfm/schedules/generate", {
        "queue": queue.pk, "first_day": monday.isoformat(), "weeks": 1, "time_zone": "Europe/Berlin",
        "target_service_level": 80, "target_seconds": 20, "max_occupancy": 90, "time_limit_seconds": 5})  # fmt: skip
    assert got.status_code == 201, got.content
    schedule = got.json()
    assert schedule["status"] == "draft" and schedule["totals"]["under"] == 0

    # Covered, read back from the rows: each interval's agents at work against the requirement.
    need = requirement([(6, 150)], 15, target_service_level=0.8, target_seconds=20, max_occupancy=0.9)[0]
    assert need >= 2
    detail = sue.get(f"/api/v1/wfm/schedules/{schedule['id']}").json()
    cover = {c["start"]: c for c in detail["coverage"]}
    assert len(cover) == 7 * 96
    busy = [c for c in detail["coverage"] if c["required"]]
    assert len(busy) == 2 * 32 and {c["required"] for c in busy} == {need}
    assert all(c["scheduled"] >= c["required"] for c in detail["coverage"])
    # ... by shifts inside the availability (08:00-18:00 Berlin, weekdays), of the contract's lengths, each
    # with its lunch and breaks; at least the contract's 16 hours a week each.
    minutes: dict[int, int] = {}
    for s in detail["shifts"]:
        start, end = datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])
        assert start.utcoffset() == timedelta(hours=1) and start.weekday() < 5
        assert 8 * 60 <= start.hour * 60 + start.minute and end.hour * 60 + end.minute <= 18 * 60
        length = int((end - start).total_seconds() // 60)
        assert length in (480, 360)
        expected = ["break", "lunch"] if length == 360 else ["break", "break", "lunch"]
        assert sorted(a["kind"] for a in s["activities"]) == expected
        minutes[s["agent"]["id"]] = minutes.get(s["agent"]["id"], 0) + length
    assert set(minutes) == {a.pk for a in agents} and all(960 <= m <= 2400 for m in minutes.values())

    # Hand edits: refused with a message when they overlap or leave the availability.
    first = detail["shifts"][0]
    agent_id, start = first["agent"]["id"], datetime.fromisoformat(first["start"])
    day = start.date().isoformat()
    clash = send(sue, "post", f"/api/v1/wfm/schedules/{schedule['id']}/shifts",
                 {"agent": agent_id, "start": f"{day}T08:00", "end": f"{day}T10:00"})  # fmt: skip
    assert clash.status_code == 400 and "overlaps the agent's shift" in clash.json()["error"]["message"]
    saturday = (monday + timedelta(days=5)).isoformat()
    outside = send(sue, "post", f"/api/v1/wfm/schedules/{schedule['id']}/shifts",
                   {"agent": agent_id, "start": f"{saturday}T09:00", "end": f"{saturday}T13:00"})  # fmt: skip
    assert outside.status_code == 400
    assert outside.json()["error"]["message"] == "The agent is not available on Sat."
    late = send(sue, "patch", f"/api/v1/wfm/shifts/{first['id']}", {"start": f"{day}T16:00"})
    assert late.status_code == 400
    weekday = start.strftime("%a")
    assert late.json()["error"]["message"] == f"Outside the agent's availability on {weekday} (08:00-18:00)."
    # Moved within the availability: its activities move with it.
    to = start.replace(hour=8, minute=0) if start.hour or start.minute else start.replace(hour=8, minute=30)
    to = to if to != start else start.replace(hour=8, minute=30)
    moved = send(sue, "patch", f"/api/v1/wfm/shifts/{first['id']}", {"start": to.isoformat()})
    assert moved.status_code == 200, moved.content
    delta = to - start
    assert [datetime.fromisoformat(x["start"]) for x in moved.json()["activities"]] == [
        datetime.fromisoformat(x["start"]) + delta for x in first["activities"]
    ]
    lunch = next(a for a in first["activities"] if a["kind"] == "lunch")
    outside_shift = send(sue, "patch", f"/api/v1/wfm/activities/{lunch['id']}", {"start": f"{day}T03:00",
                                                                                  "end": f"{day}T03:30"})  # fmt: skip
    assert outside_shift.status_code == 400 and outside_shift.json()["error"]["message"] == (
        "An activity must lie inside its shift.")  # fmt: skip
    connection.set_schema(tenant_a.schema_name)
    current = Shift.objects.get(pk=first["id"])
    acts = list(current.activities.order_by("start"))
    connection.set_schema_to_public()
    overlap = send(sue, "post", f"/api/v1/wfm/shifts/{first['id']}/activities",
                   {"kind": "meeting", "start": acts[0].start.isoformat(), "end": acts[0].end.isoformat()})  # fmt: skip
    assert overlap.status_code == 400 and "overlaps another activity" in overlap.json()["error"]["message"]
    meeting_at = current.end - timedelta(minutes=30)
    meeting = send(sue, "post", f"/api/v1/wfm/shifts/{first['id']}/activities",
                   {"kind": "meeting", "start": meeting_at.isoformat(), "end": current.end.isoformat()})  # fmt: skip
    assert meeting.status_code == 201, meeting.content
    assert send(sue, "delete", f"/api/v1/wfm/activities/{meeting.json()['id']}").status_code == 204

    # Listed by agent and period across schedules (the tenant's zone is UTC here: the Berlin shifts' starts).
    listed = sue.get("/api/v1/wfm/shifts", {"from": monday.isoformat(), "days": 7, "agent": agent_id}).json()
    assert {s["agent"]["id"] for s in listed["results"]} == {agent_id}
    assert len(listed["results"]) == sum(1 for s in detail["shifts"] if s["agent"]["id"] == agent_id)
    assert sue.get("/api/v1/wfm/shifts", {"from": monday.isoformat(), "published": 1}).json()["results"] == []
    assert set(sue.get("/api/v1/wfm/shifts", {"from": "x", "days": 0}).json()["error"]["fields"]) == {"from", "days"}

    # Agents: nothing before it is published; then their own shifts only; no planner's API.
    owner_of_first = next(a for a in agents if a.pk == agent_id)
    ann = client_for(tenant_a, owner_of_first.user.email)
    assert ann.get("/api/v1/wfm/my-schedule", {"from": monday.isoformat()}).json()["shifts"] == []
    published = send(sue, "post", f"/api/v1/wfm/schedules/{schedule['id']}/publish")
    assert published.status_code == 200 and published.json()["status"] == "published"
    mine = ann.get("/api/v1/wfm/my-schedule", {"from": monday.isoformat(), "days": 7}).json()
    assert mine["shifts"] and {s["agent"]["id"] for s in mine["shifts"]} == {agent_id}
    assert len(mine["shifts"]) == sum(1 for s in detail["shifts"] if s["agent"]["id"] == agent_id)
    assert mine["time_zone"] == "Europe/Berlin"
    assert ann.get("/api/v1/wfm/schedules").status_code == 403
    assert ann.get("/api/v1/wfm/shifts").status_code == 403
    assert ann.get(f"/api/v1/wfm/schedules/{schedule['id']}").status_code == 403
    assert send(ann, "patch", f"/api/v1/wfm/shifts/{first['id']}", {"start": f"{day}T09:00"}).status_code == 403
    assert send(ann, "post", "/api/v1/wfm/schedules/generate", {}).status_code == 403
    assert ann.get("/wfm/schedules/").status_code == 403
    assert ann.get("/wfm/my-schedule/").status_code == 200
    assert send(sue, "delete", f"/api/v1/wfm/shifts/{first['id']}").status_code == 204

    connection.set_schema(tenant_a.schema_name)
    verbs = set(AuditEntry.objects.filter(verb__startswith="wfm.").values_list("verb", flat=True))
    assert {
        "wfm.contract_saved",
        "wfm.agent_plan_set",
        "wfm.schedule_generated",
        "wfm.shift_moved",
        "wfm.activity_saved",
        "wfm.activity_deleted",
        "wfm.schedule_published",
        "wfm.shift_deleted",
    } <= verbs
    connection.set_schema_to_public()

    # Another tenant's planner sees none of it.
    connection.set_schema(tenant_b.schema_name)
    User.objects.create_user(email=f"sue@{tenant_b.subdomain}.test", password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()
    other = client_for(tenant_b, f"sue@{tenant_b.subdomain}.test")
    assert other.get("/api/v1/wfm/schedules").json()["results"] == []
    assert other.get(f"/api/v1/wfm/schedules/{schedule['id']}").status_code == 404
    theirs = detail["shifts"][1]["id"]
    assert send(other, "patch", f"/api/v1/wfm/shifts/{theirs}", {"start": f"{day}T09:00"}).status_code == 404
    assert [r["name"] for r in other.get("/api/v1/wfm/availability").json()["results"]] == ["Owner"]


def test_no_contract_no_schedule(tenant_a: TenantInfo) -> None:
    people(tenant_a, agents=1)
    queue = Queue.objects.get(name="Support")
    connection.set_schema_to_public()
    sue = client_for(tenant_a, f"sue@{tenant_a.subdomain}.test")
    got = send(
        sue, "post", "/api/v1/wfm/schedules/generate", {"queue": queue.pk, "first_day": next_monday().isoformat()}
    )
    assert got.status_code == 400 and "agents" in got.json()["error"]["fields"]


def test_publishing_replaces_the_published_schedule_of_the_same_days(tenant_a: TenantInfo) -> None:
    people(tenant_a, agents=0)
    monday = next_monday()
    first = Schedule.objects.create(name="First", first_day=monday, weeks=2, status="published")
    later = Schedule.objects.create(name="Later", first_day=monday + timedelta(weeks=1), weeks=1)
    apart = Schedule.objects.create(name="Apart", first_day=monday + timedelta(weeks=2), weeks=1, status="published")
    connection.set_schema_to_public()
    sue = client_for(tenant_a, f"sue@{tenant_a.subdomain}.test")
    got = send(sue, "post", f"/api/v1/wfm/schedules/{later.pk}/publish")
    assert got.status_code == 200 and got.json()["unpublished"] == [first.pk]
    states = {s["name"]: s["status"] for s in sue.get("/api/v1/wfm/schedules").json()["results"]}
    assert states == {"First": "draft", "Later": "published", "Apart": "published"}
    assert apart.pk not in got.json()["unpublished"]
    assert send(sue, "post", "/api/v1/wfm/schedules/99999/publish").status_code == 404
