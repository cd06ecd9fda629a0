"""Webhooks settings in Chromium (issue 16): the owner finds the page in Settings, is told beside the
field what is wrong with a bad address (what they typed kept), adds a webhook and sees its secret once;
a new conversation reaches their system signed with that secret; the log shows the delivery and its
answer; Replay sends it again and the log shows the replay."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.inbox.actions import do_open_interaction
from apps.routing.models import Queue
from apps.webhooks.models import Delivery
from tests.conftest import CeleryWorker, TenantInfo, WebServer, signed_in_page
from tests.processes import wait_until
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_deliveries import signature_ok


def test_webhook_set_up_logged_and_replayed(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo, receiver: Receiver, webhooks_worker: CeleryWorker
) -> None:
    path = f"/hooks/{tenant_a.subdomain}/browser"
    page = signed_in_page(browser, web_server, tenant_a)
    page.get_by_test_id("main-nav").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()

    new = page.get_by_test_id("new-webhook")
    new.get_by_label("Address (https://…)").fill("ftp://example.com/hook")
    new.get_by_label("Description").fill("Our CRM")
    new.get_by_role("button", name="Add webhook").click()
    new = page.get_by_test_id("new-webhook")
    expect(new.locator('[data-field="url"]')).to_have_text("The address must start with https://.")
    expect(new.locator('[data-field="events"]')).to_have_text("Choose at least one event.")
    expect(new.get_by_label("Description")).to_have_value("Our CRM")

    new.get_by_label("Address (https://…)").fill(receiver.url(path))
    new.get_by_label("interaction.created: A conversation or call was opened").check()
    new.get_by_role("button", name="Add webhook").click()
    expect(page.locator(".messages")).to_have_text(f"Webhook added: events now go to {receiver.url(path)}.")
    secret = page.get_by_test_id("secret-value").inner_text().strip()
    assert secret.startswith("whsec_")
    card = page.locator("[data-webhook]")
    expect(card.get_by_test_id("webhook-url")).to_have_text(receiver.url(path))
    expect(card.get_by_label("interaction.created: A conversation or call was opened")).to_be_checked()

    connection.set_schema(tenant_a.schema_name)
    do_open_interaction(channel="chat", queue=Queue.objects.get(name="Support"), subject="From the page")
    first = receiver.at(path)[0]
    assert signature_ok(secret, first) and first.json["data"]["interaction"]["subject"] == "From the page"
    delivery = Delivery.objects.get()
    wait_until(lambda: Delivery.objects.get().status == "succeeded", 10, "the delivery's result")

    page.goto(web_server.url("/settings/webhooks/", subdomain=tenant_a.subdomain))
    expect(page.get_by_test_id("secret-value")).to_have_count(0)  # shown once
    row = page.locator(f'[data-delivery="{delivery.pk}"]')
    expect(row.get_by_test_id("delivery-status")).to_have_text("Delivered")
    row.get_by_text("1 attempt").click()
    expect(row.locator('[data-attempt="1"]')).to_contain_text("HTTP 200")
    row.get_by_role("button", name="Send interaction.created again").click()
    expect(page.locator(".messages")).to_have_text(
        "Sending interaction.created again: its result appears in the log below."
    )
    second = receiver.at(path, count=2)[1]
    assert second.headers["X-CCaaS-Delivery"] == first.headers["X-CCaaS-Delivery"] and signature_ok(secret, second)
    wait_until(lambda: Delivery.objects.get().attempts == 2, 10, "the replay's result")
    page.reload()
    row = page.locator(f'[data-delivery="{delivery.pk}"]')
    row.get_by_text("2 attempts").click()
    expect(row.locator('[data-attempt="2"]')).to_contain_text("replay")
    page.screenshot(path="test-artifacts/webhooks-settings.png", full_page=True)
    page.context.close()
