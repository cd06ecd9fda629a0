"""The owner of a trial tenant subscribes with a test card in a real browser (Stripe Elements served
by localstripe), adds a seat, activates one more agent; one beyond the seats is refused."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from apps.accounts.actions import do_deactivate_user
from apps.billing.models import BillingAccount
from tests.billing.conftest import LocalStripe
from tests.billing.helpers import account_of, add_member, owner_of, stripe_subscription
from tests.conftest import TenantInfo, WebServer

pytestmark = pytest.mark.browser


def test_owner_subscribes_adds_a_seat_and_activates_an_agent(
    page: Any, tenant_factory: Any, localstripe: LocalStripe, billing_web: WebServer
) -> None:
    from django_tenants.utils import schema_context

    info: TenantInfo = tenant_factory("brw")
    add_member(info, "Ann Agent")
    add_member(info, "Bob Agent")
    cara = add_member(info, "Cara Agent")
    with schema_context(info.schema_name):
        do_deactivate_user(cara, actor=owner_of(info))
    dan = add_member(info, "Dan Agent", role="supervisor")
    with schema_context(info.schema_name):
        do_deactivate_user(dan, actor=owner_of(info))

    page.goto(billing_web.url("/login/", subdomain=info.subdomain))
    page.fill("input[name=username]", info.email)
    page.fill("input[name=password]", info.password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(billing_web.url("/billing/", subdomain=info.subdomain))
    expect(page.get_by_test_id("trial-days-left")).to_have_text("14 days left")
    expect(page.get_by_test_id("seat-usage")).to_have_text("2 of 3 seats in use")

    # Subscribe: Stripe Elements' card field (localstripe's Stripe.js), 2 seats, trial carried over.
    page.get_by_test_id("subscribe-link").click()
    expect(page.get_by_test_id("trial-carry-over")).to_contain_text("14 days left carry over")
    card = page.get_by_test_id("card-element")
    card.locator("input[placeholder=number]").fill("4242424242424242")
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("30")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("75001")
    page.fill("input[name=seats]", "2")
    page.click("#card-submit")
    expect(page.get_by_role("status")).to_contain_text("You are subscribed")
    expect(page.get_by_test_id("billing-status")).to_have_attribute("data-status", "trialing")
    expect(page.get_by_test_id("seat-usage")).to_have_text("2 of 2 seats in use")
    account = account_of(info)
    assert account.has_subscription and stripe_subscription(account)["quantity"] == 2

    # Add a seat.
    page.get_by_test_id("seats-input").fill("3")
    page.get_by_test_id("change-seats").click()
    expect(page.get_by_role("status")).to_contain_text("Seats changed from 2 to 3")
    expect(page.get_by_test_id("seat-usage")).to_have_text("2 of 3 seats in use")
    assert stripe_subscription(account)["quantity"] == 3
    expect(page.get_by_test_id("seat-history").locator("tbody tr").first).to_contain_text(info.email)

    # Activate one more agent: the new seat.
    page.goto(billing_web.url("/team/", subdomain=info.subdomain))
    page.locator(f'tr[data-email="{cara.email}"]').get_by_role("button", name="Activate").click()
    expect(page.get_by_role("status")).to_contain_text("Cara Agent can sign in again.")
    expect(page.locator(f'tr[data-email="{cara.email}"]')).to_have_attribute("data-active", "true")
    expect(page.get_by_test_id("seat-usage")).to_contain_text("3 of 3 seats in use")

    # One beyond the seats is refused, with a link to add seats.
    page.locator(f'tr[data-email="{dan.email}"]').get_by_role("button", name="Activate").click()
    expect(page.get_by_test_id("team-error")).to_contain_text(
        "All 3 paid seats are in use. Add a seat to activate another agent."
    )
    expect(page.get_by_test_id("seat-limit-link")).to_have_attribute("href", "/billing/#seats")
    expect(page.locator(f'tr[data-email="{dan.email}"]')).to_have_attribute("data-active", "false")
    page.screenshot(path="test-artifacts/billing-seat-refused.png", full_page=True)
    page.get_by_test_id("seat-limit-link").click()
    expect(page.get_by_test_id("seats-input")).to_have_value("3")
    assert account_of(info).status == BillingAccount.Status.TRIALING
