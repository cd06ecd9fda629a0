# ruff: noqa: F811  (the shop fixture is imported from tests.inbox.conftest)
"""The widget's pre-chat form (issue 12): it says what is wrong at the field (a name is required, an
email must be valid), the message box is not offered until it is filled, and the server refuses a
first message without it; the send button stays on one line in Simplified Chinese. Headless
Chromium against a real daphne."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState
from apps.inbox.models import Contact, Interaction
from tests.a11y import serious_violations
from tests.conftest import WebServer
from tests.desktop.test_details_browser import LINES
from tests.inbox.conftest import ContactCenter, Shop, make_center, shop  # noqa: F401  (the fixture)
from tests.inbox.test_widget_ws import widget
from tests.ws import recv_json, run_async


def prechat_center(shop_origin: str) -> ContactCenter:
    cc = make_center(shop_origin)
    connection.set_schema(cc.info.schema_name)
    cc.key.prechat_form = True
    cc.key.save()
    do_set_agent_state(cc.agents[0], AgentState.AWAY)  # signed in: customers may chat
    connection.set_schema_to_public()
    return cc


def test_the_prechat_form_says_what_is_wrong_at_the_field_and_cannot_be_skipped(
    browser: Any, web_server: WebServer, shop: Shop
) -> None:
    cc = prechat_center(shop.origin)
    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(15000)
    page.goto(shop.page("prechat.html", cc.snippet(web_server)))
    page.locator("[data-ccaas-widget] button").click()
    chat = page.frame_locator("[data-ccaas-widget] iframe")
    form = chat.locator("#prechat")
    expect(form).to_be_visible()
    expect(chat.locator("#composer")).to_be_hidden()  # no message box to write in below it
    expect(chat.get_by_label("Your name")).to_be_visible()  # labelled fields
    expect(chat.get_by_label("Your email")).to_be_visible()

    # Nothing typed: both fields say what they need, and focus goes to the first.
    chat.locator("#prechat-go").click()
    expect(chat.locator("#prechat-name-error")).to_have_text("Tell us your name.")
    expect(chat.locator("#prechat-email-error")).to_have_text("Enter a valid email address.")
    expect(chat.locator("#prechat-name")).to_have_attribute("aria-invalid", "true")
    expect(chat.locator("#prechat-name")).to_be_focused()
    frame = next(f for f in page.frames if "/widget/frame/" in f.url)
    assert serious_violations(frame) == []  # the form with its errors shown

    # A name, and an email that is not one.
    chat.locator("#prechat-name").fill("Kim Lee")
    expect(chat.locator("#prechat-name-error")).to_have_text("")
    chat.locator("#prechat-email").fill("kim@nowhere")
    chat.locator("#prechat-go").click()
    expect(chat.locator("#prechat-email-error")).to_have_text("Enter a valid email address.")
    expect(chat.locator("#prechat-email")).to_be_focused()
    expect(chat.locator("#composer")).to_be_hidden()

    chat.locator("#prechat-email").fill("kim@example.com")
    chat.locator("#prechat-email").press("Enter")
    expect(form).to_be_hidden()
    expect(chat.locator("#composer")).to_be_visible()
    expect(chat.locator("#input")).to_be_focused()
    chat.locator("#input").fill("Hello, I'm Kim")
    chat.locator("#input").press("Enter")
    expect(chat.locator(".msg.customer[data-seq] .body")).to_have_text(["Hello, I'm Kim"])
    connection.set_schema(cc.info.schema_name)
    contact = Interaction.objects.select_related("contact").get().contact
    assert contact is not None and contact.name == "Kim Lee" and contact.email == "kim@example.com"
    connection.set_schema_to_public()
    page.context.close()


def test_the_server_refuses_a_first_message_before_the_prechat_form(web_server: WebServer, shop: Shop) -> None:
    cc = prechat_center(shop.origin)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        ws, welcome = await widget(web_server, cc, origin=shop.origin)
        await ws.send(json.dumps({"type": "message.send", "body": "Skipping the form", "client_id": "a"}))
        refused = await recv_json(ws)
        await ws.send(json.dumps({"type": "prechat.submit", "name": "Kim", "email": "kim@example.com"}))
        ok = await recv_json(ws)
        await ws.send(json.dumps({"type": "message.send", "body": "Now with the form", "client_id": "b"}))
        started = await recv_json(ws)
        await ws.close()
        return welcome, refused, ok, started

    welcome, refused, ok, started = run_async(scenario())
    assert welcome["config"]["prechat"] is True
    assert refused["type"] == "error" and refused["code"] == "prechat_required" and refused["client_id"] == "a"
    assert ok["type"] == "prechat.ok"
    assert started["type"] == "conversation.started"
    connection.set_schema(cc.info.schema_name)
    assert list(Interaction.objects.values_list("subject", flat=True)) == ["Now with the form"]
    assert Contact.objects.filter(name="Kim").count() == 1
    connection.set_schema_to_public()


def test_the_widgets_buttons_stay_on_one_line_in_simplified_chinese(
    browser: Any, web_server: WebServer, shop: Shop
) -> None:
    cc = make_center(shop.origin)
    context = browser.new_context(locale="zh-CN", viewport={"width": 300, "height": 560})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(web_server.url(f"/widget/frame/?key={cc.key.public_key}", subdomain=cc.info.subdomain))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.locator("#input").fill("你好我的订单还没有到请帮我查一下物流信息谢谢" * 3)
    send = page.locator("#send")
    assert send.inner_text() == "发送"
    assert send.evaluate(LINES) == 1, "the send button wraps"
    # The frame is opened alone here (no site to connect it), so the call buttons, shown once the chat
    # is connected, are shown by hand to be measured.
    page.locator("#callbar").evaluate("el => { el.hidden = false; }")
    for button in page.locator(".callbar button").all():
        assert button.evaluate(LINES) == 1, f"{button.inner_text()!r} wraps"
    context.close()
