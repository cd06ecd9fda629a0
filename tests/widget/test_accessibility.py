# ruff: noqa: F811  (the shop fixture is imported from tests.inbox.conftest)
"""The widget and the settings pages pass axe-core with no serious or critical violations, and the
widget works from the keyboard alone."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState
from tests.a11y import serious_violations
from tests.conftest import WebServer
from tests.inbox.conftest import Shop, make_center, shop  # noqa: F401  (the fixture)


def test_the_widget_has_no_serious_violations_and_works_from_the_keyboard(
    browser: Any, web_server: WebServer, shop: Shop
) -> None:
    center = make_center(shop.origin)
    connection.set_schema(center.info.schema_name)
    do_set_agent_state(center.agents[0], AgentState.AWAY)
    connection.set_schema_to_public()
    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(15000)
    page.goto(shop.page("a11y.html", center.snippet(web_server)))
    launcher = page.locator("[data-ccaas-widget] button")
    expect(launcher).to_have_attribute("aria-label", "Chat with us")
    launcher.focus()
    page.keyboard.press("Enter")  # opens from the keyboard
    chat = page.frame_locator("[data-ccaas-widget] iframe")
    expect(chat.locator("#composer")).to_be_visible()
    frame = next(f for f in page.frames if "/widget/frame/" in f.url)
    expect(chat.locator("#conn")).to_have_attribute("data-state", "live")
    assert serious_violations(frame) == []
    chat.locator("#input").focus()
    page.keyboard.type("Typed with the keyboard")
    page.keyboard.press("Enter")
    expect(chat.locator(".msg.customer[data-seq] .body")).to_have_text(["Typed with the keyboard"])
    page.context.close()
