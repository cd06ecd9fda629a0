"""The Stripe webhook endpoint (public host): events posted by localstripe itself, and hand-signed
events for the types localstripe never sends; bad, old, replayed and malformed deliveries."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import override_settings

from apps.billing.models import BillingAccount, SeatChange, StripeEvent
from apps.tenants.models import Tenant
from tests.billing.conftest import LocalStripe
from tests.billing.helpers import (
    account_of,
    event,
    post_event,
    post_webhook,
    settle,
    sign,
    stripe_client,
    stripe_subscription,
    subscribe,
)
from tests.conftest import WebServer, wait_until

pytestmark = pytest.mark.usefixtures("localstripe", "billing_web")


def _no_event(event_id: str) -> bool:
    return not StripeEvent.objects.filter(stripe_id=event_id).exists()


def test_events_posted_by_localstripe_are_verified_and_mapped_to_the_tenant(
    tenant_factory: Any, localstripe: LocalStripe, billing_web: WebServer
) -> None:
    info = tenant_factory("lsw")
    account = subscribe(localstripe, info, seats=2, trial=False)

    def received(kind: str) -> bool:
        return StripeEvent.objects.filter(type=kind, account=account, processed_at__isnull=False).exists()

    wait_until(lambda: received("customer.subscription.created"), 15, "localstripe's subscription.created")
    wait_until(lambda: received("invoice.payment_succeeded"), 15, "localstripe's invoice.payment_succeeded")
    created = StripeEvent.objects.get(type="customer.subscription.created", account=account)
    assert created.outcome == "synced" and created.attempts == 1
    # The events found the state our own action had already written: nothing changed twice.
    account.refresh_from_db()
    assert account.status == BillingAccount.Status.ACTIVE and account.seats == 2
    assert account.seat_changes.count() == 2  # trial 0->3, subscribe 3->2
    # Events of customers no tenant owns (localstripe sends customer.created for everyone) are
    # acknowledged and kept.
    assert StripeEvent.objects.filter(type="customer.created", outcome="ignored").exists()


def test_hand_signed_subscription_updated_re_fetches_the_subscription(
    tenant_factory: Any, localstripe: LocalStripe
) -> None:
    """The event's own copy is stale (an older quantity, arriving late): Stripe's current state wins."""
    info = tenant_factory("upd")
    account = subscribe(localstripe, info, seats=2, trial=False)
    settle(account)
    stale = stripe_subscription(account)
    # Someone changes the seats in the Stripe dashboard: 2 -> 5.
    item_id = stale["items"]["data"][0]["id"]
    stripe_client().v1.subscriptions.update(
        account.stripe_subscription_id, params={"items": [{"id": item_id, "quantity": 5}]}
    )
    stale["quantity"] = 1  # what an out-of-order event could claim
    stale["items"]["data"][0]["quantity"] = 1
    response = post_event(event("customer.subscription.updated", stale))
    assert response.status_code == 200, response.content
    assert response.json() == {"received": True, "outcome": "synced"}
    account.refresh_from_db()
    assert account.seats == 5
    change = account.seat_changes.first()
    assert (change.from_seats, change.to_seats, change.source, change.actor_email) == (2, 5, "stripe", "")


def test_hand_signed_checkout_session_completed_links_the_subscription(
    tenant_factory: Any, localstripe: LocalStripe
) -> None:
    """A subscription made through Stripe Checkout: the session names the tenant."""
    info = tenant_factory("chk")
    client = stripe_client()
    plan_id = client.v1.plans.create(
        params={"amount": 1500, "currency": "usd", "interval": "month", "product": {"name": "Checkout"}}
    ).id
    customer = client.v1.customers.create(params={"email": info.email})
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": "pm_card_visa"}})
    sub = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"plan": plan_id, "quantity": 6}]})
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": info.schema_name,
        "customer": customer.id,
        "subscription": sub.id,
        "status": "complete",
    }
    response = post_event(event("checkout.session.completed", session))
    assert response.status_code == 200 and response.json()["outcome"] == "synced"
    account = account_of(info)
    assert account.stripe_customer_id == customer.id and account.stripe_subscription_id == sub.id
    assert account.status == BillingAccount.Status.ACTIVE and account.seats == 6


def test_bad_signature_old_timestamp_missing_header_and_malformed_body_are_refused(tenant_a: Any) -> None:
    evt = event("customer.subscription.updated", {"id": "sub_x", "object": "subscription", "customer": "cus_x"})
    payload = json.dumps(evt).encode()

    bad = post_webhook(payload, sign(payload, secret="whsec_wrong"))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_signature"

    tampered = post_webhook(payload.replace(b"sub_x", b"sub_y"), sign(payload))
    assert tampered.status_code == 400 and tampered.json()["error"]["code"] == "bad_signature"

    old = post_webhook(payload, sign(payload, timestamp=int(time.time()) - 301))
    assert old.status_code == 400 and old.json()["error"]["code"] == "bad_signature"

    missing = post_webhook(payload, None)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "bad_signature"

    for body in (b"{not json", b"[1, 2]", b'{"object": "event"}'):
        malformed = post_webhook(body, sign(body))
        assert malformed.status_code == 400, body
        assert malformed.json()["error"]["code"] == "malformed"

    assert _no_event(evt["id"])
    assert Tenant.objects.get(pk=tenant_a.tenant.pk).status == Tenant.Status.ACTIVE


def test_a_replayed_event_id_has_no_second_effect(tenant_factory: Any, localstripe: LocalStripe) -> None:
    info = tenant_factory("rep")
    account = subscribe(localstripe, info, seats=2, trial=False)
    settle(account)
    evt = event("customer.subscription.updated", stripe_subscription(account))
    assert post_event(evt).json()["outcome"] == "synced"
    # Stripe changes since; a replay of the old event must not apply anything.
    item_id = account_of(info).stripe_subscription_item_id
    stripe_client().v1.subscriptions.update(
        account.stripe_subscription_id, params={"items": [{"id": item_id, "quantity": 4}]}
    )
    changes = SeatChange.objects.filter(account=account).count()
    replay = post_event(evt)
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    assert SeatChange.objects.filter(account=account).count() == changes
    assert account_of(info).seats == 2
    assert StripeEvent.objects.get(stripe_id=evt["id"]).attempts == 1


def test_unknown_event_types_are_acknowledged_and_stored() -> None:
    evt = event("radar.early_fraud_warning.created", {"id": "issfr_1", "object": "radar.early_fraud_warning"})
    response = post_event(evt)
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    row = StripeEvent.objects.get(stripe_id=evt["id"])
    assert row.processed_at is not None and row.account is None


def test_a_failed_handler_is_retried_without_double_effects(tenant_factory: Any, localstripe: LocalStripe) -> None:
    """Stripe is unreachable while the event is handled: 500, nothing applied, the attempt recorded.
    Stripe's retry then applies it exactly once."""
    from tests.processes import free_port

    info = tenant_factory("retry")
    account = subscribe(localstripe, info, seats=2, trial=False)
    settle(account)
    item_id = account.stripe_subscription_item_id
    stripe_client().v1.subscriptions.update(
        account.stripe_subscription_id, params={"items": [{"id": item_id, "quantity": 3}]}
    )
    evt = event("customer.subscription.updated", stripe_subscription(account))
    changes = SeatChange.objects.filter(account=account).count()

    with override_settings(STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}"):  # nothing listens there
        failed = post_event(evt)
    assert failed.status_code == 500 and failed.json()["error"]["code"] == "handler_failed"
    row = StripeEvent.objects.get(stripe_id=evt["id"])
    assert row.processed_at is None and row.attempts == 1 and "PaymentProviderError" in row.last_error
    assert account_of(info).seats == 2 and SeatChange.objects.filter(account=account).count() == changes

    retried = post_event(evt)
    assert retried.status_code == 200 and retried.json()["outcome"] == "synced"
    assert account_of(info).seats == 3
    assert SeatChange.objects.filter(account=account).count() == changes + 1
    assert post_event(evt).json()["outcome"] == "duplicate"
    row.refresh_from_db()
    assert row.attempts == 2 and row.last_error == ""


def test_without_stripe_keys_the_endpoint_says_billing_is_off() -> None:
    with override_settings(STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET=""):
        payload = b"{}"
        response = post_webhook(payload, sign(payload))
    assert response.status_code == 503 and response.json()["error"]["code"] == "billing_not_configured"
