"""Billing actions against localstripe with the real stripe client: trial, subscribe, seats,
cancel and resume, invoices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.accounts.actions import do_deactivate_user
from apps.accounts.models import User
from apps.billing.actions import do_cancel_at_period_end, do_change_seats, do_resume, do_subscribe
from apps.billing.errors import AlreadySubscribed, CardDeclined, NoSubscription, SeatsInUse
from apps.billing.models import AuditEntry, BillingAccount, Plan, SeatChange
from apps.billing.selectors import invoices, upcoming_invoice
from tests.billing.conftest import LocalStripe
from tests.billing.helpers import (
    DECLINED_ON_ATTACH,
    DECLINED_ON_CHARGE,
    account_of,
    add_member,
    confirm_card,
    confirmed_setup_intent,
    owner_of,
    stripe_client,
    stripe_subscription,
    subscribe,
)
from tests.conftest import TenantInfo

pytestmark = pytest.mark.usefixtures("localstripe")


def test_a_new_tenant_starts_a_trial_with_a_seat_allowance(tenant_a: TenantInfo) -> None:
    account = account_of(tenant_a)
    plan = Plan.objects.get(code="starter")
    assert account.status == BillingAccount.Status.TRIALING
    assert account.plan == plan and account.seats == plan.trial_seats == 3
    assert account.trial_ends_at is not None
    assert abs(account.trial_ends_at - (timezone.now() + timedelta(days=14))) < timedelta(minutes=1)
    assert account.stripe_customer_id is None  # no Stripe call at sign-up
    change = SeatChange.objects.get(account=account)
    assert (change.from_seats, change.to_seats, change.source) == (0, 3, "trial")
    assert AuditEntry.objects.filter(account=account, action="trial_started").exists()


def test_subscribing_during_the_trial_creates_customer_and_subscription_with_quantity(
    tenant_factory: Any, localstripe: LocalStripe
) -> None:
    info = tenant_factory("sub")
    trial_ends = account_of(info).trial_ends_at
    account = subscribe(localstripe, info, seats=4, plan="pro")

    customer = stripe_client().v1.customers.retrieve(account.stripe_customer_id).to_dict()
    assert customer["email"] == info.email
    assert customer["metadata"]["tenant_schema"] == info.schema_name
    assert customer["invoice_settings"]["default_payment_method"].startswith("pm_")
    sub = stripe_subscription(account)
    assert sub["quantity"] == 4
    assert sub["items"]["data"][0]["quantity"] == 4
    assert sub["items"]["data"][0]["plan"]["amount"] == 3500
    assert sub["trial_end"] == int(trial_ends.timestamp())  # the trial's days left carry over
    assert sub["metadata"]["tenant_schema"] == info.schema_name

    account.refresh_from_db()
    assert account.status == BillingAccount.Status.TRIALING
    assert account.plan.code == "pro" and account.seats == 4
    change = account.seat_changes.first()
    assert (change.from_seats, change.to_seats, change.actor_email, change.source) == (3, 4, info.email, "owner")
    # Nothing to pay until the trial ends.
    assert invoices(account) == []
    assert upcoming_invoice(account)["amount_due"] == 4 * 35.0

    with pytest.raises(AlreadySubscribed):
        subscribe(localstripe, info, seats=4)


def test_subscribing_after_the_trial_charges_the_first_invoice(tenant_factory: Any, localstripe: LocalStripe) -> None:
    info = tenant_factory("paid")
    account = subscribe(localstripe, info, seats=2, trial=False)
    assert account.status == BillingAccount.Status.ACTIVE
    assert stripe_subscription(account)["status"] == "active"
    rows = invoices(account)
    assert [(r["status"], r["amount_paid"]) for r in rows] == [("paid", 30.0)]
    assert rows[0]["currency"] == "USD"
    assert upcoming_invoice(account)["amount_due"] == 30.0


def test_a_card_declined_at_the_first_charge_leaves_no_subscription(
    tenant_factory: Any, localstripe: LocalStripe
) -> None:
    info = tenant_factory("decl")
    with pytest.raises(CardDeclined, match="declined"):
        subscribe(localstripe, info, seats=1, trial=False, card=DECLINED_ON_CHARGE)
    account = account_of(info)
    assert account.stripe_subscription_id is None and not account.has_subscription
    assert account.status == BillingAccount.Status.TRIALING
    subs = stripe_client().v1.subscriptions.list(params={"customer": account.stripe_customer_id, "status": "all"})
    assert [s.status for s in subs.data] == ["canceled"]
    assert AuditEntry.objects.filter(account=account, action="subscribe_failed").exists()


def test_a_card_declined_when_saved_is_refused_by_stripe(tenant_factory: Any, localstripe: LocalStripe) -> None:
    from apps.billing.actions import do_prepare_card_setup

    info = tenant_factory("decl2")
    setup = do_prepare_card_setup(account_of(info), owner_of(info))
    status, body = confirm_card(localstripe, setup.client_secret, DECLINED_ON_ATTACH)
    assert status == 402 and body["error"]["code"] == "card_declined"
    with pytest.raises(CardDeclined):
        do_subscribe(
            account_of(info),
            plan=Plan.objects.get(code="starter"),
            seats=1,
            setup_intent_id=setup.setup_intent_id,
            actor=owner_of(info),
        )
    assert account_of(info).stripe_subscription_id is None


def test_adding_seats_is_prorated_and_charged_at_once(tenant_factory: Any, localstripe: LocalStripe) -> None:
    info = tenant_factory("add")
    account = subscribe(localstripe, info, seats=2, trial=False)
    owner = owner_of(info)
    result = do_change_seats(account, seats=3, actor=owner)
    assert (result.from_seats, result.to_seats, result.payment_failed) == (2, 3, False)
    assert stripe_subscription(account)["quantity"] == 3
    # The prorated charge for the added seat was invoiced and paid now, not with the next renewal.
    assert result.invoice is not None and result.invoice["status"] == "paid"
    assert 0 < result.invoice["amount_paid"] <= 1500
    account.refresh_from_db()
    assert account.seats == 3
    change = account.seat_changes.first()
    assert (change.from_seats, change.to_seats, change.actor_email) == (2, 3, info.email)
    # Same number again: nothing happens (the API's PUT is idempotent).
    again = do_change_seats(account, seats=3, actor=owner)
    assert again.invoice is None and account.seat_changes.count() == 3  # trial, subscribe 3->2, add 2->3


def test_removing_seats_in_use_is_refused_naming_who_to_deactivate(
    tenant_factory: Any, localstripe: LocalStripe
) -> None:
    info = tenant_factory("rem")
    account = subscribe(localstripe, info, seats=3)
    add_member(info, "Ann Agent")
    bob = add_member(info, "Bob Agent")
    add_member(info, "Sue Super", role=User.Role.SUPERVISOR)
    before = account.seat_changes.count()

    with pytest.raises(SeatsInUse) as refused:
        do_change_seats(account, seats=1, actor=owner_of(info))
    message = refused.value.message
    assert "Deactivate 2 of them" in message
    assert "Ann Agent" in message and "Bob Agent" in message and "Sue Super" in message
    assert {d["name"] for d in refused.value.deactivate} == {"Ann Agent", "Bob Agent", "Sue Super"}
    assert stripe_subscription(account)["quantity"] == 3  # Stripe untouched
    assert account.seat_changes.count() == before

    with schema_context(info.schema_name):
        do_deactivate_user(bob, actor=owner_of(info))
    result = do_change_seats(account, seats=2, actor=owner_of(info))
    assert result.to_seats == 2 and result.invoice is None  # removal: credited on the next invoice
    assert stripe_subscription(account)["quantity"] == 2
    assert account_of(info).seats == 2


def test_trial_seats_cannot_be_changed_without_a_subscription(tenant_a: TenantInfo) -> None:
    with pytest.raises(NoSubscription):
        do_change_seats(account_of(tenant_a), seats=5, actor=owner_of(tenant_a))


def test_cancel_at_period_end_and_resume(tenant_factory: Any, localstripe: LocalStripe) -> None:
    info = tenant_factory("can")
    account = subscribe(localstripe, info, seats=1, trial=False)
    account = do_cancel_at_period_end(account, owner_of(info))
    assert account.cancel_at_period_end is True
    assert stripe_subscription(account)["cancel_at_period_end"] is True
    assert account.current_period_end is not None and account.current_period_end > timezone.now()
    assert account.status == BillingAccount.Status.ACTIVE  # still paid for until the period ends

    account = do_resume(account, owner_of(info))
    assert account.cancel_at_period_end is False
    assert stripe_subscription(account)["cancel_at_period_end"] is False
    actions = list(AuditEntry.objects.filter(account=account).values_list("action", flat=True))
    assert "cancel_at_period_end" in actions and "resumed" in actions


def test_a_setup_intent_of_another_tenant_is_refused(tenant_factory: Any, localstripe: LocalStripe) -> None:
    from apps.core.errors import ValidationFailed

    mallory, victim = tenant_factory("mal"), tenant_factory("vic")
    foreign = confirmed_setup_intent(localstripe, mallory)
    confirmed_setup_intent(localstripe, victim)  # gives the victim a Stripe customer
    with pytest.raises(ValidationFailed, match="not set up for your account"):
        do_subscribe(
            account_of(victim),
            plan=Plan.objects.get(code="starter"),
            seats=1,
            setup_intent_id=foreign,
            actor=owner_of(victim),
        )
