"""Stripe webhook events, after their signature was verified. Each event id is processed once: the
event's row is locked while its handler runs, and the handler's writes commit together with the row's
`processed_at`. A handler that fails rolls all of it back and the endpoint answers 500, so Stripe
retries later and the retry starts from a clean slate (no double effects)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import schema_context

from .actions import do_sync_subscription
from .models import BillingAccount, StripeEvent

logger = logging.getLogger(__name__)


def _account_for(obj: dict[str, Any]) -> BillingAccount | None:
    """The tenant's account an event's object belongs to, looked up in the public schema."""
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if customer:
        account = BillingAccount.objects.select_related("tenant").filter(stripe_customer_id=customer).first()
        if account is not None:
            return account
    schema = obj.get("client_reference_id") or (obj.get("metadata") or {}).get("tenant_schema")
    if schema:
        return BillingAccount.objects.select_related("tenant").filter(tenant__schema_name=schema).first()
    return None


def _subscription_id(obj: dict[str, Any]) -> str | None:
    if obj.get("object") == "subscription":
        return str(obj["id"])
    sub = obj.get("subscription")
    if sub is None:
        # API versions from 2025 nest it under the invoice's parent.
        sub = ((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    if isinstance(sub, dict):
        sub = sub.get("id")
    return str(sub) if sub else None


def _on_subscription_event(account: BillingAccount, obj: dict[str, Any]) -> str:
    do_sync_subscription(account, _subscription_id(obj))
    return "synced"


def _on_invoice_event(account: BillingAccount, obj: dict[str, Any]) -> str:
    sub_id = _subscription_id(obj)
    if not sub_id:
        return "ignored"
    do_sync_subscription(account, sub_id)
    return "synced"


def _on_checkout_completed(account: BillingAccount, obj: dict[str, Any]) -> str:
    """A subscription made through Stripe Checkout (or a payment link) for this tenant."""
    if obj.get("mode") not in (None, "subscription") or not obj.get("subscription"):
        return "ignored"
    sub_id = _subscription_id(obj)
    customer = obj.get("customer")
    if customer and not account.stripe_customer_id:
        BillingAccount.objects.filter(pk=account.pk, stripe_customer_id__isnull=True).update(
            stripe_customer_id=customer
        )
    if account.has_subscription and account.stripe_subscription_id != sub_id:
        return "ignored"  # already subscribed; a second checkout is for support to refund
    if account.stripe_subscription_id != sub_id:
        BillingAccount.objects.filter(pk=account.pk).update(stripe_subscription_id=sub_id)
    account.refresh_from_db()
    do_sync_subscription(account, sub_id)
    return "synced"


HANDLERS: dict[str, Callable[[BillingAccount, dict[str, Any]], str]] = {
    "customer.subscription.created": _on_subscription_event,
    "customer.subscription.updated": _on_subscription_event,
    "customer.subscription.deleted": _on_subscription_event,
    "customer.subscription.paused": _on_subscription_event,
    "customer.subscription.resumed": _on_subscription_event,
    "invoice.paid": _on_invoice_event,
    "invoice.payment_succeeded": _on_invoice_event,
    "invoice.payment_failed": _on_invoice_event,
    "checkout.session.completed": _on_checkout_completed,
}


def process_event(event: dict[str, Any]) -> str:
    """Process a verified event once. Returns what happened: "synced", "ignored", "duplicate"."""
    event_id, event_type = str(event["id"]), str(event["type"])
    try:
        with transaction.atomic():
            row, _created = StripeEvent.objects.select_for_update().get_or_create(
                stripe_id=event_id, defaults={"type": event_type, "payload": event}
            )
            if row.processed_at is not None:
                return "duplicate"
            obj = dict((event.get("data") or {}).get("object") or {})
            handler = HANDLERS.get(event_type)
            account = _account_for(obj) if handler else None
            outcome = "ignored"
            if handler and account is not None:
                # Tenant work runs inside the tenant; the billing tables are public and stay visible.
                with schema_context(account.tenant.schema_name):
                    outcome = handler(account, obj)
            row.account = account
            row.outcome = outcome
            row.attempts += 1
            row.processed_at = timezone.now()
            row.last_error = ""
            row.save()
            return outcome
    except Exception as exc:
        logger.exception("Stripe event %s (%s) failed; Stripe will retry it", event_id, event_type)
        StripeEvent.objects.get_or_create(stripe_id=event_id, defaults={"type": event_type, "payload": event})
        StripeEvent.objects.filter(stripe_id=event_id, processed_at__isnull=True).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
