# ruff: noqa: F811  (the shop fixture is imported from tests.inbox.conftest)
"""The widget as a customer sees it in Chromium: its connection state is always on screen, a message
that could not be sent stays marked "not sent" with the reason and a retry, and when nobody of the
queue is signed in it says so and takes a message instead of "all agents are busy"."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState
from apps.inbox.models import Interaction, Message
from tests.conftest import WebServer
from tests.inbox.conftest import ContactCenter, Shop, make_center, shop  # noqa: F401  (the fixture)


def open_widget(browser: Any, web: WebServer, shop: Shop, center: ContactCenter) -> tuple[Any, Any]:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(shop.page("widget.html", center.snippet(web)))
    page.locator("[data-ccaas-widget] button").click()
    return page, page.frame_locator("[data-ccaas-widget] iframe")


def test_nobody_signed_in_the_widget_says_so_and_takes_a_message(
    browser: Any, web_server: WebServer, shop: Shop
) -> None:
    center = make_center(shop.origin)
    page, chat = open_widget(browser, web_server, shop, center)
    expect(chat.locator("#offline-none")).to_have_text(
        "No one is here to chat right now. Leave a message and we will write back by email."
    )
    expect(chat.locator("#offline-closed")).to_be_hidden()
    expect(chat.locator("#composer")).to_be_hidden()
    expect(chat.locator("#callbar")).to_be_hidden()
    chat.locator("#offline input[name=name]").fill("Lee")
    chat.locator("#offline input[name=email]").fill("lee@example.com")
    chat.locator("#offline textarea[name=body]").fill("Please call me back")
    chat.locator("#offline button[type=submit]").click()
    expect(chat.locator("#status")).to_have_text("Thanks! We will write back soon.")
    connection.set_schema(center.info.schema_name)
    left = Interaction.objects.get(channel="email")
    assert left.routing_status == "queued" and left.queue_id == center.queue.pk  # waits for the team
    assert list(Message.objects.filter(interaction=left).values_list("body", flat=True)) == ["Please call me back"]
    page.context.close()


def test_connection_state_and_messages_that_were_not_sent(browser: Any, web_server: WebServer, shop: Shop) -> None:
    center = make_center(shop.origin)
    connection.set_schema(center.info.schema_name)
    do_set_agent_state(center.agents[0], AgentState.AWAY)  # signed in: customers may chat
    connection.set_schema_to_public()
    page, chat = open_widget(browser, web_server, shop, center)
    conn = chat.locator("#conn")
    expect(conn).to_have_attribute("data-state", "live")
    expect(conn).to_be_hidden()
    expect(chat.locator("#composer")).to_be_visible()

    # The network goes: the widget says so, and a message typed meanwhile is kept as "not sent".
    page.context.set_offline(True)
    expect(conn).to_have_attribute("data-state", "offline")
    expect(conn).to_have_text("You are offline. We will reconnect when your connection is back.")
    chat.locator("#input").fill("Are you there?")
    chat.locator("#input").press("Enter")
    failed = chat.locator(".msg.customer.failed")
    expect(failed).to_have_count(1)
    expect(failed.locator(".fail")).to_contain_text("Not sent: Not connected.")
    # It comes back: the widget reconnects by itself, and Retry sends the message.
    page.context.set_offline(False)
    expect(conn).to_have_attribute("data-state", "live")
    failed.locator(".fail button").click()
    expect(chat.locator(".msg.customer.failed")).to_have_count(0)
    expect(chat.locator(".msg.customer[data-seq] .body")).to_have_text(["Are you there?"])

    # The server refuses one (too long): it stays, with the server's reason and a retry.
    chat.locator("#input").evaluate("el => { el.removeAttribute('maxlength'); el.value = 'x'.repeat(4100); }")
    chat.locator("#input").press("Enter")
    refused = chat.locator(".msg.customer.failed")
    expect(refused).to_have_count(1)
    expect(refused.locator(".fail")).to_contain_text("Not sent: Messages are limited to 4000 characters.")
    expect(refused.locator(".fail button")).to_have_text("Retry")
    connection.set_schema(center.info.schema_name)
    assert list(Message.objects.filter(kind="customer").values_list("body", flat=True)) == ["Are you there?"]
    page.context.close()


def test_a_site_that_is_not_allowed_gets_a_console_message_and_no_widget(
    browser: Any, web_server: WebServer, shop: Shop
) -> None:
    center = make_center("https://only.example.com")
    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(15000)
    expected = (
        f"Contact center widget: {shop.origin} is not an allowed origin of widget key {center.key.public_key}. "
        "Add it in the widget settings (allowed origins)."
    )
    with page.expect_console_message(lambda m: m.type == "error" and m.text == expected, timeout=15000):
        page.goto(shop.page("elsewhere.html", center.snippet(web_server)))
    expect(page.locator("[data-ccaas-widget]")).to_have_count(0)  # no button, no broken frame
    page.context.close()
