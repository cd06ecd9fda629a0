"""Schedules and adherence in Chromium (issue 15): a planner reaches Schedules from the WFM tabs, reads the
coverage chart and the day that cannot be covered, moves a shift (refused outside the agent's availability,
then done), changes its activities and publishes; the agent reads their own schedule; the live adherence
page shows an agent who went away during work, and clears when they are back, without a reload."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.agents.actions import do_set_agent_state, ensure_agent_profile
from apps.agents.models import AgentProfile
from apps.routing.models import Queue
from apps.wfm.models import Schedule, Shift
from apps.wfm.schedule_actions import do_generate_schedule, do_save_contract, do_set_agent_plan
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page

DASH = "\N{EN DASH}"


def setup_team(tenant: TenantInfo) -> dict[str, AgentProfile]:
    connection.set_schema(tenant.schema_name)
    out = {}
    for name, role in (("sue", "supervisor"), ("ann", "agent"), ("bob", "agent")):
        user = User.objects.create_user(
            email=f"{name}@{tenant.subdomain}.test", password=PASSWORD, role=role, full_name=name.title()
        )
        out[name] = ensure_agent_profile(user)
    return out


def test_the_planner_and_the_agent(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    team = setup_team(tenant_a)
    sue = team["sue"].user
    contract = do_save_contract(sue, {"name": "Full time", "shift_minutes": [480], "max_days_week": 5})
    for name in ("ann", "bob"):
        windows = [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)]
        do_set_agent_plan(sue, team[name].pk, {"contract": contract.pk, "windows": windows})
    today = date.today()
    monday = today + timedelta(days=7 - today.weekday())
    required = [0] * (7 * 96)
    for k in range(9 * 4, 17 * 4):
        required[k] = 1  # Monday: one agent all day
        required[96 + k] = 3  # Tuesday: three, and there are two
    queue = Queue.objects.get(name="Support")
    schedule = do_generate_schedule(
        sue,
        {"queue": queue.pk, "first_day": monday.isoformat(), "time_zone": "UTC", "time_limit_seconds": 5},
        required=required,
    )
    connection.set_schema_to_public()

    page = signed_in_page(browser, web_server, tenant_a, f"sue@{tenant_a.subdomain}.test")
    page.get_by_test_id("main-nav").get_by_role("link", name="Workforce").click()
    page.get_by_test_id("wfm-tabs").get_by_role("link", name="Schedules").click()
    expect(page.locator("h1")).to_have_text("Schedules")
    # Generated from the page: a bad day is said; then a draft of the agents' contracts (no forecast: no need).
    form = page.get_by_test_id("generate-form")
    form.get_by_label("First day (a Monday)").fill((monday + timedelta(days=8)).isoformat())
    form.get_by_label("Solver time limit (seconds)").fill("2")
    form.get_by_role("button", name="Generate").click()
    expect(page.get_by_test_id("schedules-error")).to_contain_text("A Monday, YYYY-MM-DD.")
    form = page.get_by_test_id("generate-form")
    form.get_by_label("First day (a Monday)").fill((monday + timedelta(days=14)).isoformat())
    form.get_by_role("button", name="Generate").click()
    expect(page.locator(".messages")).to_contain_text("Schedule generated")
    expect(page.locator("h1")).to_contain_text(f"Week of {(monday + timedelta(days=14)).isoformat()}")
    page.get_by_test_id("wfm-tabs").get_by_role("link", name="Schedules").click()
    page.screenshot(path="test-artifacts/wfm-schedules.png", full_page=True)
    page.get_by_test_id("schedule-list").get_by_role("link", name=schedule.name).click()
    expect(page.get_by_test_id("schedule-status")).to_have_text("Draft")
    expect(page.get_by_test_id("coverage-chart").locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("day-under")).to_have_text("Every interval of this day is covered.")
    # Tuesday needs three agents and there are two: said per interval.
    page.get_by_test_id("next-day").click()
    expect(page.get_by_test_id("day-under")).to_contain_text("Short by")
    expect(page.get_by_test_id("under-table").locator("tbody tr").first).to_contain_text("09:00")
    page.get_by_test_id("previous-day").click()

    # Monday: a shift moved outside the agent's availability is refused, with why; then moved inside.
    row = page.get_by_test_id("shifts").locator("tbody tr").first
    agent_name = row.get_attribute("data-agent")
    row.get_by_label("Shift from").fill("12:00")
    row.get_by_label("Shift until").fill("20:00")
    row.get_by_role("button", name="Move").click()
    expect(page.get_by_test_id("schedule-error")).to_have_text("Outside the agent's availability on Mon (08:00-18:00).")
    row = page.get_by_test_id("shifts").locator(f'tbody tr[data-agent="{agent_name}"]')
    row.get_by_label("Shift from").fill("10:00")
    row.get_by_label("Shift until").fill("18:00")
    row.get_by_role("button", name="Move").click()
    expect(page.locator(".messages")).to_have_text("Shift moved.")
    row = page.get_by_test_id("shifts").locator(f'tbody tr[data-agent="{agent_name}"]')
    expect(row.locator("td").first).to_have_text(f"10:00{DASH}18:00")
    # Its activities: one taken away, a meeting added (refused first where it overlaps another).
    row.locator('[data-activity="break"]').first.get_by_role("button").click()
    expect(page.locator(".messages")).to_have_text("Activity deleted.")
    row = page.get_by_test_id("shifts").locator(f'tbody tr[data-agent="{agent_name}"]')
    add = row.get_by_test_id("add-activity")
    add.get_by_label("Activity", exact=True).select_option("meeting")
    add.get_by_label("Activity from").fill("17:30")
    add.get_by_label("Activity until").fill("18:30")
    add.get_by_role("button", name="Add activity").click()
    expect(page.get_by_test_id("schedule-error")).to_have_text("An activity must lie inside its shift.")
    row = page.get_by_test_id("shifts").locator(f'tbody tr[data-agent="{agent_name}"]')
    add = row.get_by_test_id("add-activity")
    add.get_by_label("Activity", exact=True).select_option("meeting")
    add.get_by_label("Activity from").fill("17:30")
    add.get_by_label("Activity until").fill("18:00")
    add.get_by_role("button", name="Add activity").click()
    expect(page.locator(".messages")).to_have_text("Activity added.")
    row = page.get_by_test_id("shifts").locator(f'tbody tr[data-agent="{agent_name}"]')
    expect(row.locator('[data-activity="meeting"]')).to_contain_text(f"Meeting 17:30{DASH}18:00")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text("Published")
    expect(page.get_by_test_id("schedule-status")).to_have_text("Published")
    page.screenshot(path="test-artifacts/wfm-schedule.png", full_page=True)
    page.context.close()

    # The agent whose shift it is reads it, and only theirs.
    connection.set_schema(tenant_a.schema_name)
    mover = AgentProfile.objects.select_related("user").get(user__full_name=agent_name)
    mine = Shift.objects.filter(schedule=schedule, agent=mover).count()
    connection.set_schema_to_public()
    agent = signed_in_page(browser, web_server, tenant_a, mover.user.email)
    agent.goto(web_server.url(f"/wfm/my-schedule/?from={monday.isoformat()}", subdomain=tenant_a.subdomain))
    expect(agent.locator("h1")).to_have_text("My schedule")
    expect(agent.get_by_test_id("my-shifts").locator("li")).to_have_count(mine)
    expect(agent.get_by_test_id("my-shifts").locator("li").first).to_contain_text(f"10:00{DASH}18:00")
    expect(agent.get_by_test_id("my-shifts").locator("li").first).to_contain_text(f"Meeting 17:30{DASH}18:00")
    expect(agent.get_by_test_id("wfm-tabs").get_by_role("link")).to_have_count(1)
    agent.screenshot(path="test-artifacts/wfm-my-schedule.png", full_page=True)
    agent.context.close()


def test_live_adherence(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    team = setup_team(tenant_a)
    now = timezone.now()
    week = Schedule.objects.create(name="Now", first_day=now.date() - timedelta(days=now.weekday()),
                                   time_zone="UTC", status="published")  # fmt: skip
    Shift.objects.create(schedule=week, agent=team["ann"], start=now - timedelta(hours=1), end=now + timedelta(hours=3))
    do_set_agent_state(team["ann"], "available")
    connection.set_schema_to_public()

    page = signed_in_page(browser, web_server, tenant_a, f"sue@{tenant_a.subdomain}.test")
    page.goto(web_server.url("/wfm/", subdomain=tenant_a.subdomain))
    page.get_by_test_id("wfm-tabs").get_by_role("link", name="Adherence").click()
    expect(page.get_by_test_id("all-adhering")).to_be_visible()

    connection.set_schema(tenant_a.schema_name)
    do_set_agent_state(AgentProfile.objects.get(pk=team["ann"].pk), "away")
    connection.set_schema_to_public()
    row = page.get_by_test_id("adherence-now").locator('tr[data-agent="Ann"]')
    expect(row).to_contain_text("Work", timeout=15000)
    expect(row).to_contain_text("Away")
    page.screenshot(path="test-artifacts/wfm-adherence.png", full_page=True)

    connection.set_schema(tenant_a.schema_name)
    do_set_agent_state(AgentProfile.objects.get(pk=team["ann"].pk), "available")
    connection.set_schema_to_public()
    expect(page.get_by_test_id("all-adhering")).to_be_visible(timeout=15000)
    page.context.close()
