# ruff: noqa: F811  (the shop fixture is imported from tests.inbox.conftest)
"""The journey in Chromium (issue 13): a manager finds a customer on the contacts page and reads their
timeline (summary, channel lanes, entries, filters, older pages, in Simplified Chinese too); the
agent's customer panel shows the journey of the conversation's customer and updates live when the
customer browses the site."""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from apps.journey.models import WebEvent
from tests.conftest import PASSWORD, WebServer
from tests.inbox.conftest import Shop, desktop, go_available, make_center, shop  # noqa: F401  (the fixture)
from tests.journey.test_journey_api import build_history


def manager_page(browser: Any, web: WebServer, subdomain: str, email: str, locale: str = "en-US") -> Any:
    page = browser.new_context(locale=locale).new_page()
    page.set_default_timeout(15000)
    page.goto(web.url("/login/", subdomain=subdomain))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/")
    return page


def test_a_manager_finds_a_customer_and_reads_their_journey(browser: Any, web_server: WebServer) -> None:
    cc = make_center("http://127.0.0.1:9")
    h = build_history(cc)
    page = manager_page(browser, web_server, cc.info.subdomain, cc.info.email)
    page.get_by_test_id("main-nav").get_by_role("link", name="Contacts").click()
    expect(page.locator("h1")).to_have_text("Contacts")
    page.get_by_label("Search").fill("wu")
    rows = page.get_by_test_id("contacts").locator("tbody tr")
    expect(rows).to_have_count(1)
    page.get_by_label("Search").fill("nobody at all")
    # A search typed while another is on its way replaces it (hx-sync): the last one typed is shown. The
    # wait allows for a loaded CI machine (the search is debounced 300 ms, then a request).
    expect(rows).to_have_text(["No contact matches “nobody at all”."], timeout=15000)
    page.get_by_label("Search").fill("Wu Lei")
    expect(rows.first).to_contain_text("Wu Lei")
    rows.first.get_by_role("link", name="Wu Lei").click()

    expect(page.get_by_test_id("journey-title")).to_have_text("Journey of Wu Lei")
    summary = page.get_by_test_id("journey-summary")
    expect(summary).to_contain_text("Voice · open")
    expect(summary).to_contain_text("Chat 2 · Voice 1")
    lanes = page.get_by_test_id("journey-timeline").locator(".lane-row")
    expect(lanes).to_have_count(3)  # chat, voice, web
    expect(lanes.locator(".lane-name")).to_have_text(["Chat", "Voice", "Web"])
    entries = page.get_by_test_id("journey-entries").locator("li")
    expect(entries).to_have_count(5)
    refund = page.locator(f'li[data-key="i{h["transferred"].pk:020d}"]')
    expect(refund).to_contain_text("resolved · Solved")
    expect(refund).to_contain_text("Alex Agent → Bea Agent")
    expect(refund).to_contain_text("transferred")
    expect(page.locator('li[data-key="svisit-b"]')).to_contain_text("3 pages · cart 129")

    # Filters apply at once: only the web; then only abandoned conversations.
    page.get_by_label("Voice").check()
    expect(entries).to_have_count(1)
    page.get_by_label("Voice").uncheck()
    page.get_by_label("Outcome").select_option("abandoned")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("abandoned")
    expect(page).to_have_url(re.compile(r"outcome=abandoned"))  # the filtered view can be shared
    page.get_by_label("Outcome").select_option("")
    expect(entries).to_have_count(5)
    page.screenshot(path="test-artifacts/journey-page.png", full_page=True)

    # Older pages: two at a time.
    page.goto(web_server.url(f"/contacts/{h['wu'].pk}/journey/?limit=2", subdomain=cc.info.subdomain))
    expect(entries).to_have_count(2)
    page.get_by_role("link", name="Older").click()
    expect(entries).to_have_count(2)
    expect(entries.first).not_to_have_attribute("data-key", f"i{h['call'].pk:020d}")

    # In Simplified Chinese.
    zh = manager_page(browser, web_server, cc.info.subdomain, cc.info.email, locale="zh-CN")
    zh.goto(web_server.url(f"/contacts/{h['wu'].pk}/journey/", subdomain=cc.info.subdomain))
    expect(zh.get_by_test_id("journey-title")).to_have_text("Wu Lei 的客户旅程")
    expect(zh.get_by_test_id("main-nav").locator("[aria-current=page]")).to_have_text("联系人")
    expect(zh.get_by_test_id("journey-timeline").locator(".lane-name")).to_have_text(["在线聊天", "语音", "网站"])
    expect(zh.get_by_test_id("journey-summary")).to_contain_text("语音 · 处理中")
    zh.context.close()
    page.context.close()


def test_an_agent_sees_the_journey_beside_the_conversation_live(
    browser: Any, web_server: WebServer, shop: Shop
) -> None:
    center = make_center(shop.origin)
    agent = desktop(browser, web_server, center, 1)
    go_available(agent)
    customer = browser.new_context(locale="en-US").new_page()
    customer.set_default_timeout(15000)
    customer.goto(shop.page("shop.html", center.snippet(web_server)))
    customer.locator("[data-ccaas-widget] button").click()
    chat = customer.frame_locator("[data-ccaas-widget] iframe")
    chat.locator("#input").fill("Where is my parcel?")
    chat.locator("#input").press("Enter")
    expect(agent.locator("#offer-dialog")).to_be_visible()
    agent.click("#offer-accept")
    panel = agent.locator("#journey")
    expect(panel).to_contain_text("Chat 1")
    expect(agent.locator("#journey-entries li.web_session")).to_have_count(1)  # the page they chat from
    expect(agent.locator("#journey-entries li.web_session")).to_contain_text("Web visit, pages: 1")

    # The business's backend reports an order: it appears on the agent's screen without a reload.
    connection.set_schema(center.info.schema_name)
    contact_id = WebEvent.objects.first().contact_id  # type: ignore[union-attr]
    connection.set_schema_to_public()
    owner = Client(HTTP_HOST=center.info.host)
    assert owner.post("/login/", {"username": center.info.email, "password": PASSWORD}).status_code == 302
    sent = owner.post(
        f"/api/v1/contacts/{contact_id}/events",
        json.dumps({"name": "order_shipped", "properties": {"order": "A-17"}}),
        content_type="application/json",
    )
    assert sent.status_code == 201
    expect(agent.locator("#journey-entries li.event")).to_contain_text("order_shipped")
    expect(panel.get_by_role("link", name="Full journey")).to_have_attribute("href", f"/contacts/{contact_id}/journey/")
    customer.context.close()
    agent.context.close()
