"""Messaging settings in Chromium (issue 16): the owner connects a WhatsApp number in two steps (a
missing credential is said beside its field, nothing typed lost), reads the webhook address and verify
token to give Meta, which then proves the address with them; credentials are never shown back; the
channel is switched off and removed; agents are refused the page."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.messaging.models import MessagingChannel
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page
from tests.messaging.conftest import Connected


def test_a_whatsapp_number_connected_on_the_page(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    User.objects.create_user(email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    connection.set_schema_to_public()

    page = signed_in_page(browser, web_server, tenant_a)
    page.get_by_test_id("main-nav").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Messaging channels").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messaging channels")
    new = page.get_by_test_id("new-channel")
    new.get_by_label("Provider").select_option("whatsapp")
    new.get_by_role("button", name="Next").click()
    form = page.get_by_test_id("new-channel-form")
    form.get_by_label("Name", exact=True).fill("Sales WhatsApp")
    form.get_by_label("Phone number id").fill("1098765")
    form.get_by_label("Access token").fill("wa-access")
    form.get_by_role("button", name="Connect").click()
    # The app secret is missing: said beside its field; what was typed is kept.
    expect(form.locator('[data-field="app_secret"]')).to_have_text("Required.")
    expect(form.get_by_label("Name", exact=True)).to_have_value("Sales WhatsApp")
    form.get_by_label("Access token").fill("wa-access")
    form.get_by_label("App secret").fill("meta-app-secret")
    form.get_by_label("Approved templates, one a line: name | language | text").fill(
        "order_update | en | Your order has news."
    )
    form.get_by_role("button", name="Connect").click()
    expect(page.locator(".messages")).to_have_text("Saved: messages to Sales WhatsApp go to Support.")

    card = page.locator('[data-channel="whatsapp"]')
    url = card.get_by_test_id("webhook-url").inner_text()
    token = card.get_by_test_id("verify-token").inner_text()
    assert url.startswith(f"http://{tenant_a.subdomain}.localhost:{web_server.port}/hooks/messaging/")
    # Credentials are never shown back: the fields are empty and say a value is set.
    expect(card.get_by_label("App secret")).to_have_value("")
    expect(card.get_by_label("App secret")).to_have_attribute("placeholder", "Set: leave empty to keep it")

    # Meta proves the address with the token the page shows.
    connection.set_schema(tenant_a.schema_name)
    channel = MessagingChannel.objects.get()
    # Kept encrypted: what is stored is not the secret, what is read back is.
    assert sorted(channel.secrets) == ["access_token", "app_secret"]
    assert "meta-app-secret" not in str(channel.secrets)
    assert (channel.secret("access_token"), channel.secret("app_secret")) == ("wa-access", "meta-app-secret")
    assert channel.templates == [{"name": "order_update", "language": "en", "text": "Your order has news."}]
    connection.set_schema_to_public()
    hook = Connected(tenant_a.schema_name, tenant_a.subdomain, channel, web_server)
    shake = hook.get(f"?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=ok-123")
    assert (shake.status_code, shake.text) == (200, "ok-123")

    # Switched off (a blank secret keeps the stored one), then removed.
    card.get_by_label("On: its messages come into the inbox").uncheck()
    card.get_by_role("button", name="Save").click()
    expect(page.locator('[data-channel="whatsapp"] .badge')).to_have_text("off")
    connection.set_schema(tenant_a.schema_name)
    assert MessagingChannel.objects.get().secret("app_secret") == "meta-app-secret"
    connection.set_schema_to_public()
    assert hook.get(f"?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=x").status_code == 404
    page.locator('[data-channel="whatsapp"]').get_by_role("button", name="Remove").click()
    expect(page.locator(".messages")).to_have_text("Channel removed: its conversations stay in the inbox.")
    expect(page.locator("[data-channel]")).to_have_count(0)
    page.context.close()

    agent = signed_in_page(browser, web_server, tenant_a, email=f"ann@{tenant_a.subdomain}.test")
    response = agent.goto(web_server.url("/settings/messaging/", subdomain=tenant_a.subdomain))
    assert response is not None and response.status == 403
    agent.context.close()
