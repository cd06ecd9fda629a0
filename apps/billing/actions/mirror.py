"""Mirroring Stripe into the account, and suspension/restoring of the tenant (dunning)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.tenants.models import Tenant

from .. import gateway
from ..errors import PaymentProviderError
from ..models import BillingAccount, Plan, SeatChange
from ..notifications import send_past_due_email
from ._common import STATUS_FROM_STRIPE, Reason, Status, _audit, _lock, _ts, _who, logger

# --- mirroring Stripe ----------------------------------------------------------------------------------


def _effective_status(subscription: dict[str, Any]) -> str:
    status = str(subscription.get("status") or "")
    trial_end = subscription.get("trial_end")
    # localstripe leaves a subscription with a trial `incomplete` and without any invoice; Stripe
    # calls that `trialing` (an incomplete subscription in Stripe always has a first invoice).
    if status == "incomplete" and trial_end and trial_end > time.time() and not subscription.get("latest_invoice"):
        return "trialing"
    return status


def _item(subscription: dict[str, Any]) -> dict[str, Any]:
    items = (subscription.get("items") or {}).get("data") or []
    return dict(items[0]) if items else {}


def _apply_subscription(
    account: BillingAccount,
    subscription: dict[str, Any],
    *,
    source: str = SeatChange.Source.STRIPE,
    actor: User | None = None,
) -> None:
    """Copy Stripe's state of the subscription onto the account and act on status transitions.
    Precondition: caller holds the account's lock. Idempotent: applying the same state twice changes
    nothing and records nothing."""
    now = timezone.now()
    before_status, before_seats = account.status, account.seats
    status = STATUS_FROM_STRIPE.get(_effective_status(subscription), Status.INCOMPLETE)
    item = _item(subscription)
    quantity = int(item.get("quantity") or subscription.get("quantity") or 0)
    price = item.get("price") or item.get("plan") or {}
    price_id = price.get("id") if isinstance(price, dict) else price
    if price_id and price_id != account.plan.stripe_price_id:
        plan = Plan.objects.filter(stripe_price_id=price_id).first()
        if plan is not None:
            _audit(account, "plan_changed", actor, from_plan=account.plan.code, to_plan=plan.code)
            account.plan = plan

    account.stripe_subscription_id = subscription["id"]
    if not account.stripe_customer_id and isinstance(subscription.get("customer"), str):
        account.stripe_customer_id = subscription["customer"]
    account.stripe_subscription_item_id = str(item.get("id") or "")
    account.stripe_status = str(subscription.get("status") or "")
    account.current_period_end = _ts(subscription.get("current_period_end") or item.get("current_period_end"))
    account.cancel_at_period_end = bool(subscription.get("cancel_at_period_end"))
    if status == Status.TRIALING and subscription.get("trial_end"):
        account.trial_ends_at = _ts(subscription["trial_end"])
    if quantity and quantity != account.seats and status != Status.CANCELED:
        SeatChange.objects.create(
            account=account, from_seats=account.seats, to_seats=quantity, source=source, **_who(actor)
        )
        account.seats = quantity

    if status == Status.PAST_DUE and before_status != Status.PAST_DUE:
        account.past_due_since = now
        _audit(account, "past_due", actor, subscription=subscription["id"])
        account_id = account.pk
        transaction.on_commit(lambda: send_past_due_email(account_id))
    elif status in {Status.ACTIVE, Status.TRIALING}:
        account.past_due_since = None
        _restore(account, actor)
    elif status == Status.CANCELED and before_status != Status.CANCELED:
        account.past_due_since = None
        account.cancel_at_period_end = False
        account.stripe_subscription_id = None  # free to subscribe again
        account.stripe_subscription_item_id = ""
        _audit(account, "subscription_ended", actor, subscription=subscription["id"])
        if account.trial_ends_at and account.trial_ends_at > now:
            status = Status.TRIALING  # canceled during the trial: the trial goes on
            if account.seats != account.plan.trial_seats:
                SeatChange.objects.create(
                    account=account, from_seats=account.seats, to_seats=account.plan.trial_seats, source=source
                )
                account.seats = account.plan.trial_seats
        else:
            _suspend(account, Reason.CANCELED, now)
    account.status = status
    account.synced_at = now
    account.save()
    if (before_status, before_seats) != (account.status, account.seats):
        _audit(
            account,
            "subscription_synced",
            actor,
            from_status=before_status,
            to_status=account.status,
            from_seats=before_seats,
            to_seats=account.seats,
        )


def do_sync_subscription(account: BillingAccount, subscription_id: str | None = None) -> BillingAccount:
    """Re-read the subscription from Stripe and apply it. Webhook events only say *that* something
    changed: their order and their copy of the object are not trusted."""
    with transaction.atomic():
        account = _lock(account.pk)
        sub_id = subscription_id or account.stripe_subscription_id
        if not sub_id:
            return account
        if account.stripe_subscription_id and sub_id != account.stripe_subscription_id:
            logger.info(
                "Ignoring subscription %s of %s: %s is current", sub_id, account, account.stripe_subscription_id
            )
            return account
        subscription = gateway.retrieve_subscription(sub_id)
        if not account.stripe_subscription_id and STATUS_FROM_STRIPE.get(_effective_status(subscription)) in {
            Status.CANCELED,
            Status.INCOMPLETE,
        }:
            return account  # an ended or never-paid subscription we had let go of
        _apply_subscription(account, subscription)
    return account


# --- suspension -------------------------------------------------------------------------------------


def _suspend(account: BillingAccount, reason: str, now: datetime) -> bool:
    tenant = account.tenant
    if tenant.status == Tenant.Status.SUSPENDED:
        return False
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.SUSPENDED)
    tenant.status = Tenant.Status.SUSPENDED
    account.suspension_reason = reason
    account.suspended_at = now
    account.save(update_fields=["suspension_reason", "suspended_at", "updated_at"])
    _audit(account, "suspended", None, reason=reason)
    logger.info("Suspended %s: %s", tenant.schema_name, reason)
    return True


def _restore(account: BillingAccount, actor: User | None) -> bool:
    """Lift a suspension billing made (never one an operator made)."""
    tenant = account.tenant
    if not account.suspension_reason or tenant.status != Tenant.Status.SUSPENDED:
        return False
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.ACTIVE)
    tenant.status = Tenant.Status.ACTIVE
    _audit(account, "restored", actor, reason=account.suspension_reason)
    account.suspension_reason = Reason.NONE
    account.suspended_at = None
    logger.info("Restored %s", tenant.schema_name)
    return True


def do_enforce_dunning(now: datetime | None = None) -> dict[str, int]:
    """Suspend tenants past due for longer than BILLING_GRACE_DAYS and trials that ended without a
    subscription. Run by Celery beat; safe to run twice or on two machines at once (row locks and
    re-checks). Before suspending, Stripe is asked again, in case a payment's webhook was missed."""
    counts = {"suspended": 0, "restored": 0}
    if not gateway.billing_enabled():
        return counts
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BILLING_GRACE_DAYS)
    overdue = BillingAccount.objects.filter(
        status=Status.PAST_DUE, past_due_since__lte=cutoff, tenant__status=Tenant.Status.ACTIVE
    ).values_list("pk", flat=True)
    for account_id in list(overdue):
        try:
            with transaction.atomic():
                account = _lock(account_id)
                if account.stripe_subscription_id:
                    _apply_subscription(account, gateway.retrieve_subscription(account.stripe_subscription_id))
                if account.status == Status.PAST_DUE and account.past_due_since and account.past_due_since <= cutoff:
                    counts["suspended"] += _suspend(account, Reason.PAST_DUE, now)
                else:
                    counts["restored"] += 1
        except PaymentProviderError:
            logger.warning("Could not re-check %s with Stripe; will try again", account_id)
    ended = BillingAccount.objects.filter(
        status=Status.TRIALING,
        stripe_subscription_id__isnull=True,
        trial_ends_at__lte=now,
        tenant__status=Tenant.Status.ACTIVE,
    ).values_list("pk", flat=True)
    for account_id in list(ended):
        with transaction.atomic():
            account = _lock(account_id)
            if account.status == Status.TRIALING and not account.stripe_subscription_id:
                counts["suspended"] += _suspend(account, Reason.TRIAL_ENDED, now)
    return counts
