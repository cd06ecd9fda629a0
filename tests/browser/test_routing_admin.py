"""The owner manages skills and queues in the browser; a bad routing expression is explained."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.conftest import WebServer


def sign_in(page: Any, web_server: WebServer, subdomain: str, email: str, password: str) -> None:
    page.goto(web_server.url("/login/", subdomain=subdomain))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


def test_owner_sets_up_a_queue_and_is_told_what_is_wrong_with_a_step(
    page: Any, web_server: WebServer, tenant_factory: Any
) -> None:
    info = tenant_factory("adm")
    sign_in(page, web_server, info.subdomain, info.email, info.password)
    page.get_by_role("link", name="Agents, queues and routing").click()
    expect(page.locator("#site-name")).to_contain_text("Contact center administration")

    page.goto(web_server.url("/admin/agents/skill/add/", subdomain=info.subdomain))
    page.fill("input[name=name]", "billing")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.goto(web_server.url("/admin/routing/queue/add/", subdomain=info.subdomain))
    page.fill("input[name=name]", "Billing")
    page.fill("input[name='steps-0-expression']", 'skills.biling >= 2 and language == "zh"')
    page.fill("input[name='steps-0-duration_seconds']", "30")
    page.click("input[name=_save]")
    expect(page.locator(".errorlist")).to_contain_text("Unknown skill 'biling'. (at column 1)")
    page.fill("input[name='steps-0-expression']", 'skills.billing >= 2 and language == "zh"')
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator("#result_list")).to_contain_text("Billing")
    page.screenshot(path="test-artifacts/routing-admin.png", full_page=True)


def test_agents_cannot_open_the_administration(page: Any, web_server: WebServer, tenant_factory: Any) -> None:
    from django.db import connection

    from apps.accounts.models import User

    info = tenant_factory("adm")
    connection.set_schema(info.schema_name)
    User.objects.create_user(email=f"agent@{info.subdomain}.test", password=info.password, role="agent")
    connection.set_schema_to_public()
    sign_in(page, web_server, info.subdomain, f"agent@{info.subdomain}.test", info.password)
    expect(page.get_by_role("link", name="Agents, queues and routing")).to_have_count(0)
    response = page.goto(web_server.url("/admin/routing/queue/", subdomain=info.subdomain))
    assert response.status == 403
    expect(page.get_by_role("alert")).to_have_text("Only the owner and admins can open the administration.")
