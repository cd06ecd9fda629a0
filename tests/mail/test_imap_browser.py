"""IMAP on the email settings page in Chromium (issue 16): the owner connects a mailbox of their own with
a wrong password, "Check now" says the server refused it (and the connection shows it failing); the
right password fixes it; a mail delivered to that mailbox is brought in by "Check now" and opens a
conversation (once, whether this look or the IDLE watcher brought it); the password is never shown back
in the page."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.email.actions import mailbox_for
from apps.inbox.models import Interaction
from tests.conftest import TenantInfo, WebServer, signed_in_page
from tests.mail import fixtures
from tests.mail.conftest import ImapServer
from tests.mail.test_mail_flow import settle


def test_connect_an_imap_mailbox(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo, imap_server: ImapServer, email_worker: object
) -> None:
    connection.set_schema(tenant_a.schema_name)
    mailbox_for(["support"])
    connection.set_schema_to_public()
    folder = f"Web-{uuid.uuid4().hex[:6]}"
    imap_server.deliver(fixtures.first_mail("help@alpha.example", message_id="w0@example.com", body="Old"), folder)

    page = signed_in_page(browser, web_server, tenant_a)
    page.goto(web_server.url("/settings/email/", tenant_a.subdomain))
    new = page.get_by_test_id("new-imap")
    new.get_by_label("IMAP server").fill("127.0.0.1")
    new.get_by_label("Security").select_option(label="None: only on a private network")
    new.get_by_label("Port").fill(str(imap_server.port))
    new.get_by_label("User name").fill(imap_server.user)
    new.get_by_label("Password", exact=True).fill("wrong-password")
    new.get_by_label("Folder", exact=True).fill(folder)
    new.get_by_role("button", name="Connect").click()
    expect(page.locator(".messages")).to_have_text(
        f"Saved: new mail in {folder} of {imap_server.user} is brought into support."
    )
    account = page.locator(f'[data-imap="{imap_server.user}"]')
    expect(account.get_by_label("Password", exact=True)).to_have_value("")
    account.get_by_role("button", name="Check now").click()
    expect(page.locator(".messages")).to_have_text("The server refused the user name or password.")
    account = page.locator(f'[data-imap="{imap_server.user}"]')
    expect(account.get_by_test_id("imap-status")).to_contain_text("The server refused the user name or password.")

    account.get_by_label("Password", exact=True).fill(imap_server.password)
    account.get_by_role("button", name="Save").click()
    account = page.locator(f'[data-imap="{imap_server.user}"]')
    account.get_by_role("button", name="Check now").click()
    expect(page.locator(".messages")).to_have_text("Connected: 0 new mail(s) brought in.")
    expect(page.locator(f'[data-imap="{imap_server.user}"]').get_by_test_id("imap-status")).to_contain_text(
        "Connected, last read"
    )
    assert imap_server.password not in page.content() and "wrong-password" not in page.content()

    imap_server.deliver(fixtures.first_mail("help@alpha.example", message_id="w1@example.com", body="New"), folder)
    page.locator(f'[data-imap="{imap_server.user}"]').get_by_role("button", name="Check now").click()
    # Brought in by this look, or already by the `mail` process's IDLE watcher when it runs: either way once.
    expect(page.locator(".messages")).to_contain_text("Connected:")
    expect(page.locator(f'[data-imap="{imap_server.user}"]').get_by_test_id("imap-status")).to_contain_text(
        "1 mail brought in so far"
    )
    page.screenshot(path="test-artifacts/email-imap-settings.png", full_page=True)
    page.context.close()
    settle(tenant_a.schema_name)
    [thread] = Interaction.objects.filter(channel="email")
    assert thread.messages.filter(kind="customer").get().body == "New"
