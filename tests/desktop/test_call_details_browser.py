# ruff: noqa: F811  (the shop and center fixtures are imported from tests.inbox.conftest)
"""The desktop's call panel and calls list (issue 12): a visitor who calls is named as the inbox list
names them ("Visitor 3", not "—"), and the calls list shows the call ended as soon as it ends, with
its time, without a reload. Headless Chromium (fake camera and microphone) against a real daphne and
media worker."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.media.models import Call
from tests.conftest import WebServer
from tests.inbox.conftest import ContactCenter, Shop, center, desktop, go_available, shop  # noqa: F401
from tests.media.test_call_browser import customer_calls


def test_a_visitor_who_calls_is_named_and_the_calls_list_follows_the_call(
    browser: Any, web_server: WebServer, shop: Shop, center: ContactCenter, media_worker: Any
) -> None:
    agent = desktop(browser, web_server, center, 1)
    go_available(agent)
    customer, widget = customer_calls(browser, web_server, shop, center, "#call-voice")
    expect(agent.locator("#offer-dialog")).to_be_visible()
    agent.click("#offer-accept")
    expect(agent.locator("#call-panel")).to_be_visible()

    connection.set_schema(center.info.schema_name)
    call = Call.objects.select_related("interaction").get()
    visitor = f"Visitor {call.interaction.contact_id}"
    connection.set_schema_to_public()
    row = agent.locator(f'#inbox li[data-id="{call.interaction_id}"]')
    expect(row).to_contain_text(visitor)  # the list's name ...
    expect(agent.locator("#call-status")).to_have_text(f"Talking with {visitor}")  # ... is the call's
    expect(agent.locator("#call-people")).to_contain_text(visitor)

    calls = agent.locator("#calls-list .call-row")
    expect(calls).to_have_count(1)
    expect(calls.first).not_to_contain_text("ended")
    expect(calls.first.locator("time")).to_have_count(1)

    # The customer hangs up: the agent's list says so at once.
    widget.locator("#call-hangup").click()
    expect(agent.locator("#call-panel")).to_be_hidden()
    expect(calls.first).to_contain_text("ended")
    expect(calls).to_have_count(1)
    customer.context.close()
    agent.context.close()
