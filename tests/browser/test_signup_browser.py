"""A business signs up through the public page in a real browser and lands on its dashboard."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.conftest import PASSWORD, WebServer, unique_subdomain


def test_business_signs_up_and_lands_logged_in_on_its_dashboard(page: Any, web_server: WebServer) -> None:
    sub = unique_subdomain("web")
    page.goto(web_server.url("/"))
    page.get_by_role("link", name="Create your contact center").click()
    expect(page).to_have_url(web_server.url("/signup/"))

    # A mistake first: reserved subdomain and weak password, shown next to the fields.
    page.fill("input[name=company_name]", "Browser Bakery")
    page.fill("input[name=subdomain]", "www")
    page.fill("input[name=email]", f"owner@{sub}.test")
    page.fill("input[name=password]", "123")
    page.click("#signup-submit")
    expect(page.locator('.field-error[data-field="subdomain"]')).to_have_text("This subdomain is reserved.")
    expect(page.locator('.field-error[data-field="password"]').first).to_be_visible()
    expect(page.locator("input[name=company_name]")).to_have_value("Browser Bakery")

    page.fill("input[name=subdomain]", sub)
    page.fill("input[name=password]", PASSWORD)
    page.click("#signup-submit")
    expect(page).to_have_url(web_server.url("/", subdomain=sub))
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Welcome to Browser Bakery")
    expect(page.get_by_role("status")).to_contain_text("Welcome to your contact center!")
    expect(page.locator("table")).to_contain_text(f"owner@{sub}.test")
    # The desktop's WebSocket connected inside the new tenant.
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.screenshot(path="test-artifacts/signup-dashboard.png", full_page=True)

    # Signing out and back in works on the tenant's own host.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(web_server.url("/login/", subdomain=sub))
    page.fill("input[name=username]", f"owner@{sub}.test")
    page.fill("input[name=password]", "wrong-password-0")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Welcome to Browser Bakery")


def test_signed_out_desktop_socket_sends_the_person_to_sign_in(
    page: Any, web_server: WebServer, tenant_factory: Any
) -> None:
    info = tenant_factory("ws")
    page.goto(web_server.url("/login/", subdomain=info.subdomain))
    page.fill("input[name=username]", info.email)
    page.fill("input[name=password]", info.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    # The session ends elsewhere (e.g. an admin deactivates it); the socket notices on reconnect.
    page.context.clear_cookies()
    page.evaluate("window.ccaasSocket.close()")
    expect(page).to_have_url(web_server.url("/login/?next=%2F", subdomain=info.subdomain))
