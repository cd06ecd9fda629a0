"""Providers' inbound webhooks on the email settings page in Chromium (issue 16): Mailgun without its signing
key is refused with the reason; with it the page shows the URL to paste; a signed delivery posted to that
URL (over HTTP to the real web server) reaches the inbox and the page counts it; "New secret" changes the
URL and the old one is refused."""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.email.actions import mailbox_for
from apps.inbox.models import Message
from tests.conftest import TenantInfo, WebServer, signed_in_page
from tests.mail import fixtures
from tests.mail.test_mail_flow import settle
from tests.mail.test_providers import SIGNING_KEY, mailgun_fields


def post(web: WebServer, tenant: TenantInfo, url: str, fields: dict[str, str]) -> int:
    """POST the form to the URL the page showed (its user and secret as basic auth), to the test server."""
    parts = urllib.parse.urlsplit(url)
    auth = base64.b64encode(f"{parts.username}:{parts.password}".encode()).decode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{web.port}{parts.path}",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Host": f"{tenant.subdomain}.localhost:{web.port}", "Authorization": f"Basic {auth}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_turn_on_mailgun(browser: Any, web_server: WebServer, tenant_a: TenantInfo, email_worker: object) -> None:
    connection.set_schema(tenant_a.schema_name)
    mailbox_for(["support"])
    connection.set_schema_to_public()
    page = signed_in_page(browser, web_server, tenant_a)
    page.goto(web_server.url("/settings/email/", tenant_a.subdomain))
    new = page.get_by_test_id("new-provider")
    new.get_by_label("Provider").select_option(label="Mailgun")
    new.get_by_role("button", name="Turn on").click()
    expect(page.locator(".messages")).to_contain_text("Mailgun's HTTP webhook signing key")
    new = page.get_by_test_id("new-provider")
    new.get_by_label("Provider").select_option(label="Mailgun")
    new.get_by_label("Mailgun's signing key (Mailgun only)").fill(SIGNING_KEY)
    new.get_by_role("button", name="Turn on").click()
    expect(page.locator(".messages")).to_have_text("Saved: paste the URL shown for Mailgun into its inbound settings.")
    mailgun = page.locator('[data-provider="mailgun"]')
    url = mailgun.get_by_test_id("provider-url").input_value()
    assert url.startswith("http://anymail:") and url.endswith(
        f"@{tenant_a.subdomain}.localhost:{web_server.port}/email/inbound/mailgun/"
    )
    assert SIGNING_KEY not in page.content()

    raw = fixtures.first_mail("support@alpha.example", message_id="mgweb@example.com", body="From Mailgun")
    assert post(web_server, tenant_a, url, mailgun_fields(raw)) == 200
    settle(tenant_a.schema_name)
    assert Message.objects.filter(kind="customer", body="From Mailgun").count() == 1
    connection.set_schema_to_public()
    page.reload()
    expect(page.locator('[data-provider="mailgun"]').get_by_test_id("provider-received")).to_have_text(
        "1 mail received."
    )

    page.locator('[data-provider="mailgun"]').get_by_role("button", name="New secret").click()
    expect(page.locator(".messages")).to_have_text("Saved: paste the URL shown for Mailgun into its inbound settings.")
    new_url = page.locator('[data-provider="mailgun"]').get_by_test_id("provider-url").input_value()
    assert new_url != url
    assert post(web_server, tenant_a, url, mailgun_fields(raw)) == 401
    page.screenshot(path="test-artifacts/email-providers-settings.png", full_page=True)
    page.context.close()
