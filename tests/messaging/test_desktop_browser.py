"""An agent answers a WhatsApp message from the desktop (issue 16), in Chromium: the message is offered
like any other channel, the answer reaches the provider's API, its delivery state shows under it as
the provider reports it; after WhatsApp's 24-hour window only an approved template can be sent, from
the conversation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.messaging.actions import do_save_channel
from apps.messaging.models import Outbound, Thread
from tests.conftest import CeleryWorker, WebServer
from tests.inbox.conftest import desktop, go_available, make_center
from tests.messaging.conftest import SECRETS, Connected, FakeProvider, meta_headers, whatsapp_status, whatsapp_text
from tests.processes import wait_until


def test_a_whatsapp_message_answered_from_the_desktop(
    browser: Any, web_server: WebServer, messaging_worker: CeleryWorker, provider: FakeProvider
) -> None:
    cc = make_center("http://127.0.0.1:9", agents=1)
    connection.set_schema(cc.info.schema_name)
    owner = User.objects.get(role="owner")
    channel = do_save_channel(
        owner,
        {
            "provider": "whatsapp",
            "name": "Acme WhatsApp",
            "address": "1098765",
            "queue": cc.queue.pk,
            "secrets": SECRETS["whatsapp"],
            "templates": [{"name": "order_update", "language": "en", "text": "Your order has news: reply to hear it."}],
        },
    )
    connection.set_schema_to_public()
    wa = Connected(cc.info.schema_name, cc.info.subdomain, channel, web_server)
    secret = SECRETS["whatsapp"]["app_secret"]

    agent = go_available(desktop(browser, web_server, cc, 1))
    body = whatsapp_text("5511987654321", "Can I change my delivery address?", "wamid.DESK1", name="Bruno Lima")
    assert wa.post(body, meta_headers(body, secret)).status_code == 200

    expect(agent.locator("#offer-dialog")).to_be_visible(timeout=30_000)
    expect(agent.locator("#offer-channel")).to_have_text("Messaging")
    expect(agent.locator("#offer-subject")).to_have_text("WhatsApp: Bruno Lima")
    agent.click("#offer-accept")
    expect(agent.locator("#messages")).to_contain_text("Can I change my delivery address?")
    agent.fill("#reply-input", "Yes: send me the new address.")
    agent.click("#reply-send")

    def to_bruno() -> list[Any]:
        return [c for c in provider.sent(r"/v20\.0/1098765/messages") if c.json.get("to") == "5511987654321"]

    wait_until(lambda: bool(to_bruno()), 30, "the answer to reach WhatsApp")
    call = to_bruno()[-1]
    assert call.json["text"]["body"] == "Yes: send me the new address."
    answer = agent.locator("#messages .m.agent", has_text="Yes: send me the new address.")
    expect(answer.locator(".delivery")).to_have_text("Sent", timeout=30_000)

    def provider_id() -> str:
        connection.set_schema(cc.info.schema_name)
        out = Outbound.objects.filter(message__body="Yes: send me the new address.").first()
        return out.provider_id if out and out.provider_id else ""

    wait_until(lambda: bool(provider_id()), 30, "the provider's id of the answer")
    read = whatsapp_status(provider_id(), "read")
    assert wa.post(read, meta_headers(read, secret)).status_code == 200
    expect(answer.locator(".delivery")).to_have_text("Read", timeout=30_000)

    # A day later the window has closed: the desktop offers the approved template, and it is sent.
    connection.set_schema(cc.info.schema_name)
    Thread.objects.filter(channel=channel).update(last_inbound_at=timezone.now() - timedelta(hours=30))
    connection.set_schema_to_public()
    agent.reload()
    agent.locator("#inbox li").first.click()
    expect(agent.locator("#msg-window")).to_be_visible()
    expect(agent.locator("#msg-template")).to_have_value("order_update")
    agent.click("#msg-template-send")
    expect(agent.locator("#toast")).to_have_text("Template sent.")
    expect(agent.locator("#messages")).to_contain_text("Your order has news: reply to hear it.")
    wait_until(
        lambda: any(c.json.get("type") == "template" for c in to_bruno()),
        30,
        "the template to reach WhatsApp",
    )
    agent.context.close()
