# ruff: noqa: F811  (the shop fixture is imported from tests.inbox.conftest)
"""Proactive invitations in Chromium (issue 13): on a shop's checkout page, the visitor whose cart
matches the rule is invited and the one whose cart does not is not; "No thanks" keeps it away for the
visit; "Chat now" opens the widget with the business's words and the conversation that follows reaches
an agent whose customer panel says why the customer was invited."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.journey.engagement import do_save_engagement_rule
from apps.journey.models import Invitation
from tests.conftest import WebServer, wait_until
from tests.inbox.conftest import ContactCenter, Shop, desktop, go_available, make_center, shop  # noqa: F401

RULE = 'page.path startswith "/checkout" and cart.value >= 100'


def invitations(center: ContactCenter) -> list[Invitation]:
    connection.set_schema(center.info.schema_name)
    rows = list(Invitation.objects.order_by("pk"))
    connection.set_schema_to_public()
    return rows


def _question(r: Any) -> bool:
    return r.url.endswith("/widget/engage/") and "dismiss" not in (r.request.post_data or "")


def visitor(browser: Any, center: ContactCenter, web: WebServer, shop: Shop, cart: int) -> tuple[Any, Any]:
    """A visitor on the checkout page who puts `cart` in the cart; and the answer to that."""
    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(20000)
    # The first question goes once the widget has named the visitor (its first hello).
    with page.expect_response(_question) as first:
        page.goto(shop.page("checkout.html", center.snippet(web)))
    assert first.value.json()["invitation"] is None  # nothing in the cart yet
    with page.expect_response(_question) as after:
        page.evaluate("v => CCAAS.track('cart', {value: v, items: 2, note: {nested: 1}})", cart)
    return page, after.value.json()


def test_a_matching_visitor_is_invited_and_the_agent_sees_why(browser: Any, web_server: WebServer, shop: Shop) -> None:
    center = make_center(shop.origin)
    connection.set_schema(center.info.schema_name)
    do_save_engagement_rule(
        None,
        None,
        name="Checkout help",
        expression=RULE,
        message="Questions about your order? We are here.",
        capacity="agent_available",
    )
    connection.set_schema_to_public()
    agent = desktop(browser, web_server, center, 1)
    go_available(agent)

    # A small cart: asked, answered "no", nothing drawn.
    small, answer = visitor(browser, center, web_server, shop, 40)
    assert answer["invitation"] is None
    expect(small.locator("[data-ccaas-widget] .ccaas-invite")).to_have_count(0)

    # A big cart: invited at once, in the widget's corner, announced politely.
    big, answer = visitor(browser, center, web_server, shop, 129)
    assert answer["invitation"]["action"] == "chat"
    card = big.locator("[data-ccaas-widget] .ccaas-invite")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Questions about your order? We are here.")
    expect(card).to_have_attribute("aria-live", "polite")
    big.screenshot(path="test-artifacts/engagement-card.png")
    assert [i.facts["cart.value"] for i in invitations(center)] == [129]

    # "Chat now": the widget opens with the business's words; no form first.
    card.get_by_role("button", name="Chat now").click()
    expect(card).to_have_count(0)
    chat = big.frame_locator("[data-ccaas-widget] iframe")
    expect(chat.locator(".msg.invitation")).to_have_text("Questions about your order? We are here.")
    wait_until(lambda: invitations(center)[0].accepted_at is not None, 20, "the invitation to be taken")
    chat.locator("#input").fill("Does it ship to Lyon?")
    chat.locator("#input").press("Enter")
    expect(agent.locator("#offer-dialog")).to_be_visible()
    agent.click("#offer-accept")
    expect(agent.locator("#journey-invited")).to_contain_text("Invited proactively by the rule “Checkout help”")
    expect(agent.locator("#journey-invited")).to_contain_text("cart.value 129")
    assert invitations(center)[0].interaction_id is not None

    # The small-cart visitor goes on and fills the cart: now invited; "No thanks" keeps it away.
    small.evaluate("CCAAS.track('cart', {value: 300})")
    card = small.locator("[data-ccaas-widget] .ccaas-invite")
    expect(card).to_be_visible()
    card.get_by_role("button", name="No thanks").focus()
    small.keyboard.press("Enter")
    expect(card).to_have_count(0)
    wait_until(lambda: invitations(center)[-1].dismissed_at is not None, 20, "the dismissal to be recorded")
    with small.expect_response(_question) as after:
        small.evaluate("CCAAS.track('cart', {value: 500})")
    assert after.value.json()["invitation"] is None
    expect(small.locator("[data-ccaas-widget] .ccaas-invite")).to_have_count(0)
    big.screenshot(path="test-artifacts/engagement-invited.png")
    for p in (small, big, agent):
        p.context.close()
