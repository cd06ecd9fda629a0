"""The team in Chromium, with mail through a real SMTP server: invite -> email -> the invitee joins and
is signed in; used, expired, replaced and withdrawn links; forgot password; role changes and
deactivation with their messages; the profile's name and language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from apps.accounts.actions import NewUserInput, do_create_user
from apps.accounts.models import Invitation, User
from apps.agents.models import AgentProfile
from tests.accounts.conftest import SmtpServer, link_in
from tests.conftest import PASSWORD, TenantInfo, WebServer

NEW_PASSWORD = "another-staple-battery-7"


def signed_in(browser: Any, web: WebServer, tenant: TenantInfo, email: str = "", password: str = PASSWORD) -> Any:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(web.url("/login/", subdomain=tenant.subdomain))
    page.get_by_label("Email").fill(email or tenant.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    return page


def invite(page: Any, email: str, role: str = "agent") -> None:
    form = page.locator("#invite-member")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Role").select_option(role)
    form.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_have_text(f"An invitation was sent to {email}.")


def test_invitee_joins_from_the_emailed_link_once(
    browser: Any, mail_web: WebServer, smtp_server: SmtpServer, tenant_a: TenantInfo
) -> None:
    owner = signed_in(browser, mail_web, tenant_a)
    owner.get_by_test_id("main-nav").get_by_role("link", name="Team").click()
    invite(owner, "ivy@x.test", "supervisor")
    expect(owner.get_by_test_id("invitations-table").locator('tr[data-email="ivy@x.test"]')).to_contain_text(
        "Supervisor"
    )

    host = f"http://{tenant_a.subdomain}.localhost:{mail_web.port}"
    message = smtp_server.wait_for("ivy@x.test")
    assert message["Subject"] == "You are invited to join Alpha Ltd"
    link = link_in(message, rf"{host}/invitation/\S+/")

    invitee = browser.new_context(locale="en-US").new_page()
    invitee.set_default_timeout(15000)
    invitee.goto(link)
    expect(invitee.locator("h1")).to_have_text("Join Alpha Ltd")
    invitee.get_by_label("Your name").fill("Ivy Ink")
    invitee.get_by_label("Password").fill("short")
    invitee.get_by_role("button", name="Join the team").click()
    expect(invitee.locator("[data-field=password]").first).to_be_visible()
    expect(invitee.get_by_label("Your name")).to_have_value("Ivy Ink")
    invitee.get_by_label("Password").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Join the team").click()
    invitee.wait_for_url(f"{host}/")
    expect(invitee.get_by_role("status")).to_have_text("Welcome to the team, Ivy Ink!")
    expect(invitee.get_by_test_id("user-name")).to_have_text("Ivy Ink")
    with schema_context(tenant_a.schema_name):
        ivy = User.objects.get(email="ivy@x.test")
        assert ivy.role == "supervisor"
        assert AgentProfile.objects.filter(user=ivy).exists()  # can be put in a queue at once

    # The link worked once.
    invitee.goto(link)
    expect(invitee.get_by_test_id("invitation-invalid")).to_contain_text("already been used")
    invitee.context.close()

    # The owner's team: Ivy is a member, no longer an invitation.
    owner.reload()
    expect(owner.get_by_test_id("team-table").locator('tr[data-email="ivy@x.test"]')).to_contain_text("Ivy Ink")
    expect(owner.get_by_test_id("invitations-table")).to_have_count(0)
    owner.context.close()


def test_expired_replaced_and_withdrawn_links(
    browser: Any, mail_web: WebServer, smtp_server: SmtpServer, tenant_a: TenantInfo
) -> None:
    owner = signed_in(browser, mail_web, tenant_a)
    owner.goto(mail_web.url("/team/", subdomain=tenant_a.subdomain))
    invite(owner, "late@x.test")
    invite(owner, "gone@x.test")
    pattern = rf"http://{tenant_a.subdomain}\.localhost:{mail_web.port}/invitation/\S+/"
    first = link_in(smtp_server.wait_for("late@x.test"), pattern)
    gone = link_in(smtp_server.wait_for("gone@x.test"), pattern)
    visitor = browser.new_context(locale="en-US").new_page()

    with schema_context(tenant_a.schema_name):
        Invitation.objects.filter(email="late@x.test").update(expires_at=timezone.now() - timedelta(minutes=1))
    visitor.goto(first)
    expect(visitor.get_by_test_id("invitation-invalid")).to_have_text(
        "This invitation has expired. Ask whoever invited you to send a new one."
    )
    # Tampered: one character of the token changed (to another one, whatever it was).
    swapped = "y" if first[-5] == "x" else "x"
    visitor.goto(first[:-5] + swapped + first[-4:])
    expect(visitor.get_by_test_id("invitation-invalid")).to_contain_text("not valid")

    owner.reload()
    row = owner.get_by_test_id("invitations-table").locator('tr[data-email="late@x.test"]')
    expect(row).to_contain_text("Expired")
    row.get_by_role("button", name="Re-send").click()
    expect(owner.get_by_role("status")).to_have_text("A new invitation was sent to late@x.test.")
    second = link_in(smtp_server.wait_for("late@x.test", count=2), pattern)
    assert second != first
    visitor.goto(first)
    expect(visitor.get_by_test_id("invitation-invalid")).to_contain_text("A newer invitation was sent to you")
    visitor.goto(second)
    expect(visitor.get_by_label("Your name")).to_be_visible()

    owner.get_by_test_id("invitations-table").locator('tr[data-email="gone@x.test"]').get_by_role(
        "button", name="Withdraw"
    ).click()
    expect(owner.get_by_role("status")).to_have_text("The invitation to gone@x.test was withdrawn.")
    visitor.goto(gone)
    expect(visitor.get_by_test_id("invitation-invalid")).to_contain_text("This invitation was withdrawn.")
    visitor.context.close()
    owner.context.close()


def test_forgot_password_by_email(
    browser: Any, mail_web: WebServer, smtp_server: SmtpServer, tenant_a: TenantInfo
) -> None:
    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(15000)
    page.goto(mail_web.url("/login/", subdomain=tenant_a.subdomain))
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("nobody@x.test")
    page.get_by_role("button", name="Send me a link").click()
    unknown_answer = page.get_by_test_id("reset-sent").text_content()
    page.goto(mail_web.url("/password-reset/", subdomain=tenant_a.subdomain))
    page.get_by_label("Email").fill(tenant_a.email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_test_id("reset-sent")).to_have_text(unknown_answer or "")  # the same answer

    message = smtp_server.wait_for(tenant_a.email)
    assert smtp_server.to("nobody@x.test") == []  # sent before the known one's, which has arrived
    assert message["Subject"] == "Choose a new password for Alpha Ltd"
    link = link_in(message, rf"http://{tenant_a.subdomain}\.localhost:{mail_web.port}/password-reset/\S+/")
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_test_id("reset-complete")).to_be_visible()

    page.goto(link)  # used
    expect(page.get_by_test_id("reset-invalid")).to_be_visible()

    page.goto(mail_web.url("/login/", subdomain=tenant_a.subdomain))
    page.get_by_label("Email").fill(tenant_a.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    expect(page.get_by_test_id("user-name")).to_have_text("Owner")
    page.context.close()


def test_role_change_and_deactivation_from_the_team_page(
    browser: Any, mail_web: WebServer, tenant_a: TenantInfo
) -> None:
    with schema_context(tenant_a.schema_name):
        boss = User.objects.get(email=tenant_a.email)
        do_create_user(NewUserInput("ann@x.test", "Ann Agent", PASSWORD, "agent"), actor=boss)
    page = signed_in(browser, mail_web, tenant_a)
    page.goto(mail_web.url("/team/", subdomain=tenant_a.subdomain))
    expect(page.locator(f'tr[data-email="{tenant_a.email}"] select')).to_have_count(0)  # not their own
    row = page.locator('tr[data-email="ann@x.test"]')
    row.get_by_label("Role of Ann Agent").select_option("supervisor")
    row.get_by_role("button", name="Change role").focus()
    page.keyboard.press("Enter")  # by keyboard
    expect(page.get_by_role("status")).to_have_text("Ann Agent is now Supervisor.")
    expect(row.get_by_label("Role of Ann Agent")).to_have_value("supervisor")
    row.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status")).to_have_text("Ann Agent was deactivated; their seat is free.")
    expect(row).to_have_attribute("data-active", "false")
    row.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("status")).to_have_text("Ann Agent can sign in again.")
    expect(row).to_have_attribute("data-active", "true")
    page.context.close()


def test_profile_name_and_language(browser: Any, mail_web: WebServer, tenant_a: TenantInfo) -> None:
    page = signed_in(browser, mail_web, tenant_a)
    page.goto(mail_web.url("/team/", subdomain=tenant_a.subdomain))
    page.get_by_test_id("profile-link").click()
    page.get_by_label("Display name").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[data-field=full_name]")).to_have_text("Enter the name customers and your team will see.")
    page.get_by_label("Display name").fill("Olivia Owner")
    page.locator("#profile-language").select_option("zh-hans")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("user-name")).to_have_text("Olivia Owner")
    expect(page.get_by_role("status")).to_be_visible()
    # A new browser (English) signing in as her: her pages are in her language.
    again = signed_in(browser, mail_web, tenant_a)
    expect(again.locator("html")).to_have_attribute("lang", "zh-hans")
    again.context.close()
    page.context.close()


def test_customer_sees_the_name_the_agent_chose_on_their_profile(
    browser: Any, web_server: WebServer, shop: Any
) -> None:
    from tests.inbox.conftest import desktop, go_available, make_center

    center = make_center(shop.origin, agents=1)
    agent = desktop(browser, web_server, center, 1)
    agent.goto(web_server.url("/profile/", subdomain=center.info.subdomain))
    agent.get_by_label("Display name").fill("Alexandra from Support")
    agent.get_by_role("button", name="Save").click()
    expect(agent.get_by_role("status")).to_have_text("Your profile was saved.")
    agent.goto(web_server.url("/desktop/", subdomain=center.info.subdomain))
    agent.wait_for_selector("#live-status[data-state=live]")
    go_available(agent)

    customer = browser.new_context(locale="en-US").new_page()
    customer.set_default_timeout(15000)
    customer.goto(shop.page("profile-name.html", center.snippet(web_server)))
    customer.locator("[data-ccaas-widget] button").click()
    chat = customer.frame_locator("[data-ccaas-widget] iframe")
    chat.locator("#input").fill("Hello?")
    chat.locator("#input").press("Enter")
    expect(agent.locator("#offer-dialog")).to_be_visible()
    agent.click("#offer-accept")
    expect(chat.locator("#subtitle")).to_have_text("Alexandra from Support")
    customer.context.close()
    agent.context.close()
