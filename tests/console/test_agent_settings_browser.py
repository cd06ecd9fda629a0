"""The agents settings page in Chromium: per agent, skills with levels, languages, conversations at
once per channel, teams and queues; each bad input explained at its field with nothing saved; a good
form saved through the API's serializer and agents' action (read back, with audit rows). Supervisors
edit agents too; the page passes axe's serious checks."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import AuditEntry, User
from apps.agents.actions import ensure_agent_profile
from apps.agents.models import Skill, Team
from apps.routing.models import Queue
from tests.a11y import serious_violations
from tests.conftest import PASSWORD, TenantInfo, WebServer
from tests.console.test_routing_settings_browser import signed_in_as
from tests.console.test_widget_settings_browser import signed_in


def test_an_agents_skills_languages_capacity_teams_and_queues(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo
) -> None:
    connection.set_schema(tenant_a.schema_name)
    Skill.objects.create(name="billing", description="Invoices")
    Skill.objects.create(name="tax")
    night = Team.objects.create(name="Night shift")
    support = Queue.objects.get(name="Support")
    vip = Queue.objects.create(name="VIP")
    ann = ensure_agent_profile(User.objects.create_user(email="ann@x.test", password="x", full_name="Ann Lee"))
    connection.set_schema_to_public()

    page = signed_in(browser, web_server, tenant_a)
    page.goto(web_server.url("/settings/", subdomain=tenant_a.subdomain))
    page.get_by_role("link", name="Agents").click()
    expect(page.locator(f"tr[data-agent='{ann.pk}']")).to_contain_text("no queue")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Edit Ann Lee").click()
    expect(page.locator("h1")).to_have_text("Ann Lee")
    assert serious_violations(page) == []

    page.get_by_test_id("skills").get_by_label("billing").select_option("4")
    page.get_by_label("Languages").fill("en, ZH, portuguese-brazilian")
    capacity = page.get_by_test_id("capacity")
    capacity.get_by_label("Chat").fill("-1")
    page.get_by_test_id("teams").get_by_label("Night shift").check()
    page.get_by_test_id("queues").get_by_label("VIP").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("form-error")).to_be_visible()
    expect(page.locator("[data-field=capacity_chat]")).to_have_text("Ensure this value is greater than or equal to 0.")
    expect(page.locator("[data-field=languages]")).to_have_text("Ensure this field has no more than 16 characters.")
    expect(page.get_by_test_id("skills").get_by_label("billing")).to_have_value("4")  # what was chosen stays
    expect(page.get_by_test_id("queues").get_by_label("VIP")).to_be_checked()
    connection.set_schema(tenant_a.schema_name)
    ann.refresh_from_db()
    assert ann.skill_levels == {} and ann.capacity_chat == 3 and list(ann.queues.all()) == []  # nothing saved

    page.get_by_label("Languages").fill("en, ZH")
    page.get_by_test_id("capacity").get_by_label("Chat").fill("5")
    page.get_by_test_id("skills").get_by_label("tax").select_option("2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("saved")).to_have_text("Saved.")
    expect(page.get_by_label("Languages")).to_have_value("en, zh")
    ann.refresh_from_db()
    assert ann.skill_levels == {"billing": 4, "tax": 2}
    assert ann.languages == ["en", "zh"] and ann.capacity_chat == 5
    assert list(ann.teams.all()) == [night] and list(vip.members.all()) == [ann] and not support.members.exists()
    skills_set = AuditEntry.objects.get(verb="agent.skills_set", object_id=str(ann.pk))
    assert skills_set.actor == tenant_a.owner and skills_set.data == {"skills": {"billing": 4, "tax": 2}}
    updated = AuditEntry.objects.get(verb="agent.updated", object_id=str(ann.pk))
    assert updated.actor == tenant_a.owner
    assert updated.data["queues"] == [vip.pk] and updated.data["teams"] == [night.pk]
    assert "capacity_chat" in updated.data["fields"]

    # The API reads back what the page saved.
    api = page.evaluate(f"async () => (await fetch('/api/v1/agents/{ann.pk}')).json()")
    assert api["skills"] == {"billing": 4, "tax": 2} and api["queues"] == [vip.pk]
    page.context.close()


def test_a_supervisor_staffs_a_queue(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    sue = User.objects.create_user(email="sue@x.test", password=PASSWORD, full_name="Sue", role="supervisor")
    ann = ensure_agent_profile(User.objects.create_user(email="ann@x.test", password="x", full_name="Ann Lee"))
    support = Queue.objects.get(name="Support")
    connection.set_schema_to_public()

    page = signed_in_as(browser, web_server, tenant_a, "sue@x.test")
    page.goto(web_server.url(f"/settings/agents/{ann.pk}/", subdomain=tenant_a.subdomain))
    page.get_by_test_id("queues").get_by_label("Support").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("saved")).to_have_text("Saved.")
    connection.set_schema(tenant_a.schema_name)
    assert list(support.members.all()) == [ann]
    assert AuditEntry.objects.filter(verb="agent.updated", object_id=str(ann.pk), actor=sue).exists()
    page.context.close()
