"""Agent scorecards (issue 14): an agent reads their own month against the team's targets, with the
trend and their rank in the team, in Chromium; an admin sets the targets (a bad one answered beside
its field); who may read whose scorecard: agents their own, supervisors their teams', admins all."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import AuditEntry, User
from apps.agents.actions import ensure_agent_profile
from apps.agents.models import Team
from apps.inbox.models import Interaction, Segment
from apps.reporting.actions import do_roll_up
from apps.routing.models import Queue
from tests.conftest import PASSWORD, TenantInfo, WebServer


def login(tenant: TenantInfo, email: str) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def crew(tenant: TenantInfo) -> dict[str, Any]:
    """Team Blue: Ann (3 chats of 100 s talk + 20 s wrap-up) and Bob (1 chat of 400 s); Cy, alone in
    team Red; Sue supervises Blue."""
    connection.set_schema(tenant.schema_name)
    queue = Queue.objects.get(name="Support")
    blue, red = Team.objects.create(name="Blue"), Team.objects.create(name="Red")
    people = {}
    for name, role, team in (
        ("ann", "agent", blue),
        ("bob", "agent", blue),
        ("cy", "agent", red),
        ("sue", "supervisor", blue),
    ):
        user = User.objects.create_user(
            email=f"{name}@{tenant.subdomain}.test", password=PASSWORD, role=role, full_name=name.title()
        )
        profile = ensure_agent_profile(user)
        profile.teams.add(team)
        people[name] = profile
    # Just now, so "this week" and "this month" hold them (but in the minute a period begins).
    now = timezone.now() - timedelta(seconds=30)

    def chat(agent: Any, talk: int, acw: int, k: int) -> None:
        t = now + timedelta(seconds=k)
        i = Interaction.objects.create(channel="chat", created_at=t, queue=queue)
        done = t + timedelta(seconds=talk)
        Segment.objects.create(
            interaction=i,
            kind="handling",
            started_at=t,
            ended_at=done,
            outcome="completed",
            channel="chat",
            queue=queue,
            agent=agent,
            data={"talk_seconds": talk, "hold_seconds": 0},
        )
        Segment.objects.create(
            interaction=i,
            kind="acw",
            started_at=done,
            ended_at=done + timedelta(seconds=acw),
            outcome="completed",
            channel="chat",
            agent=agent,
        )

    for k in range(3):
        chat(people["ann"], 100, 20, k)
    chat(people["bob"], 400, 0, 5)
    do_roll_up()
    connection.set_schema_to_public()
    return {"blue": blue, **people}


def test_an_agent_reads_their_scorecard(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    c = crew(tenant_a)
    owner = login(tenant_a, tenant_a.email)
    bad = owner.put(
        f"/api/v1/reports/targets/{c['blue'].pk}",
        json.dumps({"aht_seconds": -5, "mood": 3}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"aht_seconds", "mood"}

    # The admin sets Blue's targets on the page.
    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(15000)
    page.goto(web_server.url("/login/", subdomain=tenant_a.subdomain))
    page.fill("input[name=username]", tenant_a.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/")
    page.goto(web_server.url("/scorecard/targets/", subdomain=tenant_a.subdomain))
    form = page.get_by_test_id(f"targets-{c['blue'].pk}")
    form.get_by_label("Average handle time").fill("fast")
    form.get_by_role("button", name="Save").click()
    form = page.get_by_test_id(f"targets-{c['blue'].pk}")
    expect(form.locator('[data-field="aht_seconds"]')).to_have_text("A number, or blank for no target.")
    form.get_by_label("Average handle time").fill("150")
    form.get_by_label("Handled", exact=True).fill("3")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id(f"targets-{c['blue'].pk}").get_by_test_id("saved")).to_have_text("Saved.")
    page.context.close()
    connection.set_schema(tenant_a.schema_name)
    assert AuditEntry.objects.filter(verb="reporting.team_targets_set").count() == 1
    connection.set_schema_to_public()

    # Ann reads hers: 3 handled (target 3: met, #1 of 2), AHT 120 s (target 150: met, #1 of 2: Bob's is 400).
    ann = browser.new_context(locale="en-US").new_page()
    ann.set_default_timeout(15000)
    ann.goto(web_server.url("/login/", subdomain=tenant_a.subdomain))
    ann.fill("input[name=username]", f"ann@{tenant_a.subdomain}.test")
    ann.fill("input[name=password]", PASSWORD)
    ann.locator("form button[type=submit]").click()
    ann.wait_for_url("**/")
    ann.get_by_test_id("main-nav").get_by_role("link", name="Scorecard").click()
    expect(ann.locator("h1")).to_have_text("Scorecard of Ann")
    card = ann.get_by_test_id("scorecard")
    expect(card.locator('[data-metric="handled"] .kpi-value')).to_have_text("3")
    expect(card.get_by_test_id("target-handled")).to_have_text("target at least 3.0 ✓")
    expect(card.locator('[data-metric="aht_seconds"] .kpi-value')).to_have_text("120.0 s")
    expect(card.get_by_test_id("target-aht_seconds")).to_have_text("target at most 150.0 ✓")
    expect(card.get_by_test_id("rank-aht_seconds")).to_have_text("#1 of 2 in the team")
    expect(card.get_by_test_id("target-csat")).to_have_text("no target")
    expect(ann.get_by_test_id("trend").locator("tbody tr")).to_have_count(6)
    ann.get_by_label("Period").select_option("week")
    expect(ann).to_have_url(re.compile(r"period=week"))
    expect(card.locator('[data-metric="handled"] .kpi-value')).to_have_text("3")
    ann.context.close()

    # Who may read whose.
    ann_api, sue_api = (
        login(tenant_a, f"ann@{tenant_a.subdomain}.test"),
        login(tenant_a, f"sue@{tenant_a.subdomain}.test"),
    )
    assert ann_api.get(f"/api/v1/reports/scorecards/{c['bob'].pk}").status_code == 404
    assert ann_api.get(f"/api/v1/reports/scorecards/{c['ann'].pk}").json()["metrics"][0]["value"] == 3
    assert sue_api.get(f"/api/v1/reports/scorecards/{c['bob'].pk}").json()["agent"]["name"] == "Bob"
    assert sue_api.get(f"/api/v1/reports/scorecards/{c['cy'].pk}").status_code == 404  # not her team
    assert owner.get(f"/api/v1/reports/scorecards/{c['cy'].pk}").status_code == 200
    assert ann_api.get(f"/api/v1/reports/scorecards/{c['ann'].pk}", {"period": "year"}).status_code == 400
    assert (
        ann_api.put(f"/api/v1/reports/targets/{c['blue'].pk}", "{}", content_type="application/json").status_code == 403
    )
