"""The queue settings page in Chromium: members ticked in, a routing step checked as it is typed
(its error, or how many members match now), a bad step explained at its row with nothing saved, and
a good form saved through the same serializer and actions as the REST API."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import AuditEntry, User
from apps.agents.actions import do_set_skills, ensure_agent_profile
from apps.agents.models import AgentState, Skill
from apps.routing.models import Queue
from tests.conftest import TenantInfo, WebServer
from tests.console.test_widget_settings_browser import signed_in


def test_queue_members_and_a_live_checked_routing_step(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo
) -> None:
    connection.set_schema(tenant_a.schema_name)
    Skill.objects.create(name="billing")
    ann = ensure_agent_profile(
        User.objects.create_user(email="ann@x.test", password="x", full_name="Ann", role="agent")
    )
    bob = ensure_agent_profile(
        User.objects.create_user(email="bob@x.test", password="x", full_name="Bob", role="agent")
    )
    do_set_skills(ann, {"billing": 5})
    ann.state = AgentState.AVAILABLE
    ann.save(update_fields=["state"])
    queue = Queue.objects.get(name="Support")
    connection.set_schema_to_public()

    page = signed_in(browser, web_server, tenant_a)
    page.goto(web_server.url("/settings/queues/", subdomain=tenant_a.subdomain))
    expect(page.locator(f"tr[data-queue='{queue.pk}']")).to_contain_text("nobody answers it")
    page.get_by_role("link", name="Edit").click()
    members = page.get_by_test_id("members")
    members.get_by_label("Ann").check()
    members.get_by_label("Bob").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("saved")).to_have_text("Saved.")

    step = page.locator("input[name=step_expression]").first
    # Typed key by key, as a person types: the form was just swapped in by htmx, and a single `fill`
    # could land before htmx has bound the live check to the new input (one CI run in many).
    step.press_sequentially("skills.billling >= 4", delay=20)
    expect(page.get_by_test_id("step-error")).to_contain_text("billling")
    step.fill("skills.billing >= 4")
    expect(page.get_by_test_id("step-match")).to_have_text("1 of 2 members match now (1 available).")
    page.locator("input[name=step_duration]").first.fill("30")
    page.locator("input[name=sla_percent]").fill("150")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[data-field=sla_percent]")).to_be_visible()
    connection.set_schema(tenant_a.schema_name)
    assert list(queue.steps.values_list("expression", flat=True)) == []  # nothing half-saved
    page.locator("input[name=sla_percent]").fill("90")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("saved")).to_have_text("Saved.")
    queue.refresh_from_db()
    assert queue.sla_percent == 90
    assert list(queue.steps.values_list("expression", "duration_seconds")) == [("skills.billing >= 4", 30)]
    assert set(queue.members.all()) == {ann, bob}
    assert AuditEntry.objects.filter(verb="queue.updated", object_id=str(queue.pk), actor=tenant_a.owner).count() == 2
    page.context.close()
