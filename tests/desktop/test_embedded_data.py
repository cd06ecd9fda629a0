"""Text that admins and visitors write never runs as script (issue 11, section 4): data embedded in
pages goes through json_script, and a visitor's page URL only becomes a link when it is a web
address. Headless Chromium against a real daphne."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState
from apps.inbox.actions import do_identify_contact, do_open_interaction
from apps.inbox.models import CannedResponse, Interaction
from apps.routing.actions import do_accept_offer
from apps.routing.models import Offer
from tests.conftest import WebServer
from tests.inbox.conftest import Shop, desktop, make_center
from tests.inbox.conftest import shop as shop  # the fixture
from tests.inbox.test_widget_ws import widget
from tests.ws import recv_json, run_async

TITLE = "</script><script>window.__pwned=1</script>"
GREETING = "</script><script>window.__pwned=2</script><b>Hi</b>"
EVIL_URL = "javascript:window.__pwned=3"


def test_a_canned_title_and_a_visitors_page_url_stay_text_on_the_desktop(
    browser: Any, web_server: WebServer, shop: Shop
) -> None:
    cc = make_center(shop.origin)
    connection.set_schema(cc.info.schema_name)
    CannedResponse.objects.create(shortcut="hello", title=TITLE, body="Hi there")
    agent = cc.agents[0]
    do_set_agent_state(agent, AgentState.AVAILABLE)
    # Stored before the widget refused such URLs, or written through another channel.
    contact = do_identify_contact({"email": "wu@example.com"}, {"name": "Wu Lei"})
    interaction = do_open_interaction(
        channel="chat", queue=cc.queue, contact=contact, subject="Help", page={"url": EVIL_URL, "title": "Click me"}
    )
    do_accept_offer(Offer.objects.get(interaction=interaction).pk, agent.user)
    connection.set_schema_to_public()

    page = desktop(browser, web_server, cc, email=agent.user.email)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("window.CCAAS_BOOT.canned[0].title") == TITLE
    page.locator("#inbox li").first.click()
    link = page.locator("#customer-body a", has_text="Click me")
    expect(link).to_be_visible()
    assert link.get_attribute("href") is None
    link.click()
    page.locator("#reply-input").press_sequentially("/hel")
    expect(page.locator("#canned")).to_contain_text(f"/hello — {TITLE}")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.context.close()


def test_the_widget_greeting_stays_text_and_page_urls_must_be_web_addresses(
    browser: Any, web_server: WebServer, shop: Shop
) -> None:
    cc = make_center(shop.origin)
    connection.set_schema(cc.info.schema_name)
    cc.key.greeting = GREETING
    cc.key.save()
    connection.set_schema_to_public()

    context = browser.new_context(locale="en-US")
    frame = context.new_page()
    frame.goto(web_server.url(f"/widget/frame/?key={cc.key.public_key}", subdomain=cc.info.subdomain))
    assert frame.evaluate("typeof window.__pwned") == "undefined"
    assert frame.evaluate("window.CCAAS_WIDGET.greeting") == GREETING
    context.close()

    async def visit() -> None:
        ws, welcome = await widget(
            web_server, cc, origin=shop.origin, page={"url": EVIL_URL, "title": "Cart", "referrer": "data:x"}
        )
        assert welcome["type"] == "welcome"
        await ws.send(json.dumps({"type": "message.send", "body": "hello"}))
        await recv_json(ws)
        await ws.close()

    run_async(visit())
    connection.set_schema(cc.info.schema_name)
    assert Interaction.objects.get().page == {"title": "Cart"}
