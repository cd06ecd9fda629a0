"""Email settings in Chromium (issue 16): the owner reads the address customers write to, gives it a
signature and an acknowledgement of their own, adds a mailbox for another queue (a bad address is
said beside its field, nothing typed lost); mail to the new address opens its conversation in that
queue; agents are refused the page."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.email.actions import mailbox_for
from apps.inbox.models import Interaction
from apps.routing.models import Queue
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page
from tests.mail import fixtures
from tests.mail.conftest import Receiver
from tests.mail.test_mail_flow import settle


def test_mailboxes_set_up_on_the_page(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo, receiver: Receiver
) -> None:
    connection.set_schema(tenant_a.schema_name)
    mailbox_for(["support"])  # the default one, as the first mail makes it
    Queue.objects.create(name="Billing")
    User.objects.create_user(email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    connection.set_schema_to_public()
    domain = f"{tenant_a.subdomain}.mail.localhost"

    page = signed_in_page(browser, web_server, tenant_a)
    page.get_by_test_id("main-nav").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Email").click()
    support = page.locator('[data-mailbox="support"]')
    expect(support.get_by_test_id("mailbox-address")).to_have_text(f"support@{domain}")
    support.get_by_label("Signature under every answer").fill("Alpha Ltd · support team")
    support.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_have_text(f"Saved: mail to support@{domain} goes to Support.")
    expect(page.locator('[data-mailbox="support"]').get_by_label("Signature under every answer")).to_have_value(
        "Alpha Ltd · support team"
    )

    new = page.get_by_test_id("new-mailbox")
    new.get_by_label("Name").fill("Billing")
    new.get_by_label("Address (before the @)").fill("bills here")
    new.get_by_label("Queue", exact=True).select_option(label="Billing")
    new.get_by_role("button", name="Add mailbox").click()
    new = page.get_by_test_id("new-mailbox")
    expect(new.locator('[data-field="local_part"]')).to_have_text(
        "Letters, digits, dot, dash and underscore (64 at most)."
    )
    expect(new.get_by_label("Name")).to_have_value("Billing")
    new.get_by_label("Address (before the @)").fill("billing")
    new.get_by_role("button", name="Add mailbox").click()
    expect(page.locator(".messages")).to_have_text(f"Saved: mail to billing@{domain} goes to Billing.")
    expect(page.locator('[data-mailbox="billing"]').get_by_test_id("mailbox-address")).to_have_text(f"billing@{domain}")
    # A routing rule: a bad one is said, a good one listed.
    rules = page.get_by_test_id("mail-rules")
    rules.get_by_label("When").select_option(label="Sender's domain")
    rules.get_by_label("contains").fill("vip.example")
    rules.get_by_role("button", name="Add rule").click()
    expect(page.locator(".messages")).to_contain_text("A rule does something")
    rules = page.get_by_test_id("mail-rules")
    rules.get_by_label("When").select_option(label="Sender's domain")
    rules.get_by_label("contains").fill("vip.example")
    rules.get_by_label("Queue").select_option(label="Billing")
    rules.get_by_label("Labels (comma-separated)").fill("vip, urgent")
    rules.get_by_role("button", name="Add rule").click()
    expect(page.locator(".messages")).to_have_text("Rule added: new mail that matches it is routed by it.")
    expect(page.get_by_test_id("mail-rules").locator("li")).to_contain_text(
        ["Sender's domain “vip.example” → Billing vip urgent"]
    )
    page.screenshot(path="test-artifacts/email-settings.png", full_page=True)
    page.context.close()

    receiver.send(fixtures.first_mail(f"billing@{domain}", message_id="bill-1@example.com"), [f"billing@{domain}"])
    settle(tenant_a.schema_name)
    assert Interaction.objects.get(channel="email").queue.name == "Billing"  # type: ignore[union-attr]
    connection.set_schema_to_public()

    agent = signed_in_page(browser, web_server, tenant_a, f"ann@{tenant_a.subdomain}.test")
    response = agent.goto(web_server.url("/settings/email/", tenant_a.subdomain))
    assert response is not None and response.status == 403
    agent.context.close()
