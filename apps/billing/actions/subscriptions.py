"""Trial, seats, cards and the subscription: the owner's writes that go to Stripe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.core.errors import ValidationFailed
from apps.core.tenancy import current_schema
from apps.tenants.models import Tenant

from .. import gateway
from ..errors import AlreadySubscribed, CardDeclined, NoSubscription, PaymentProviderError, SeatLimitReached, SeatsInUse
from ..models import BillingAccount, Plan, SeatChange
from ..selectors import add_seats_url, seat_holders, seats_in_use
from ._common import MAX_SEATS, Status, _audit, _lock, logger
from .mirror import _apply_subscription, _effective_status

# --- trial and seats ---------------------------------------------------------------------------


def default_plan() -> Plan:
    plan = Plan.objects.filter(code=settings.BILLING_DEFAULT_PLAN, is_active=True).first()
    plan = plan or Plan.objects.filter(is_active=True).first()
    if plan is None:
        raise RuntimeError("No billing plan exists: run `manage.py migrate_schemas` (the billing migrations add them).")
    return plan


def start_trial(tenant: Tenant, plan: Plan | None = None) -> BillingAccount:
    """Open the tenant's billing account on a trial with the plan's seat allowance. Called inside the
    sign-up transaction; makes no call to Stripe (the customer is created when the owner subscribes)."""
    plan = plan or default_plan()
    now = timezone.now()
    account = BillingAccount.objects.create(
        tenant=tenant,
        plan=plan,
        status=Status.TRIALING,
        seats=plan.trial_seats,
        trial_ends_at=now + timedelta(days=plan.trial_days),
    )
    SeatChange.objects.create(account=account, from_seats=0, to_seats=plan.trial_seats, source=SeatChange.Source.TRIAL)
    _audit(account, "trial_started", plan=plan.code, trial_days=plan.trial_days, seats=plan.trial_seats)
    return account


def ensure_account(tenant: Tenant) -> BillingAccount:
    """The tenant's account; tenants that predate billing start their trial now."""
    account = BillingAccount.objects.select_related("plan", "tenant").filter(tenant=tenant).first()
    if account is not None:
        return account
    with transaction.atomic():
        Tenant.objects.select_for_update().get(pk=tenant.pk)
        account = BillingAccount.objects.filter(tenant=tenant).first()
        return account or start_trial(tenant)


def check_seat_available(adding: int = 1) -> None:
    """Refuse when `adding` more seat-taking users would exceed the seats of the current tenant.

    Precondition: the caller is inside `transaction.atomic()` on the tenant's schema and activates the
    users in that same transaction. The account's row lock, held until commit, serialises concurrent
    activations of one tenant, so two of them cannot both take the last seat."""
    if not gateway.billing_enabled():
        return  # free development mode: seats are not counted
    tenant = Tenant.objects.get(schema_name=current_schema())
    account = _lock(ensure_account(tenant).pk)
    in_use = seats_in_use()
    if in_use + adding <= account.seats:
        return
    if account.has_subscription:
        message = ngettext(
            "All %(seats)d paid seat is in use. Add a seat to activate another agent.",
            "All %(seats)d paid seats are in use. Add a seat to activate another agent.",
            account.seats,
        ) % {"seats": account.seats}
    else:
        message = ngettext(
            "Your trial includes %(seats)d seat and it is in use. Subscribe and add seats to activate another agent.",
            "Your trial includes %(seats)d seats and all are in use. Subscribe and add seats to activate "
            "another agent.",
            account.seats,
        ) % {"seats": account.seats}
    raise SeatLimitReached(message, add_seats_url=add_seats_url())


# --- Stripe objects we need ----------------------------------------------------------------------


def ensure_stripe_price(plan: Plan) -> str:
    """The Stripe price of `plan` in the Stripe account in use, created on first use."""
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan.stripe_price_id:
            try:
                gateway.retrieve_price(plan.stripe_price_id)
                return plan.stripe_price_id
            except PaymentProviderError as exc:
                if not gateway.is_missing(exc):
                    raise
                logger.warning("Stripe price %s of plan %s is gone; creating it again", plan.stripe_price_id, plan)
        price = gateway.create_price(
            name=plan.name, amount_cents=plan.price_per_seat_cents, currency=plan.currency, code=plan.code
        )
        plan.stripe_price_id = price["id"]
        plan.save(update_fields=["stripe_price_id"])
        return plan.stripe_price_id


def _ensure_customer(account: BillingAccount, actor: User) -> str:
    """Precondition: caller holds the account's lock."""
    if account.stripe_customer_id:
        try:
            gateway.retrieve_customer(account.stripe_customer_id)
            return account.stripe_customer_id
        except PaymentProviderError as exc:
            if not gateway.is_missing(exc) or account.has_subscription:
                raise
    customer = gateway.create_customer(
        email=actor.email, name=account.tenant.name, schema_name=account.tenant.schema_name
    )
    account.stripe_customer_id = customer["id"]
    account.save(update_fields=["stripe_customer_id", "updated_at"])
    _audit(account, "customer_created", actor, customer=customer["id"])
    return account.stripe_customer_id


@dataclass(frozen=True)
class CardSetup:
    client_secret: str
    setup_intent_id: str
    publishable_key: str
    js_url: str


def do_prepare_card_setup(account: BillingAccount, actor: User) -> CardSetup:
    """Make sure the Stripe customer exists and open a SetupIntent the page's Stripe Elements confirm."""
    with transaction.atomic():
        account = _lock(account.pk)
        customer_id = _ensure_customer(account, actor)
        intent = gateway.create_setup_intent(customer_id)
    return CardSetup(
        client_secret=intent["client_secret"],
        setup_intent_id=intent["id"],
        publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
        js_url=settings.STRIPE_JS_URL,
    )


def _confirmed_payment_method(account: BillingAccount, setup_intent_id: str) -> str:
    if not setup_intent_id or not setup_intent_id.startswith("seti_"):
        raise ValidationFailed(_("Enter your card first."), fields={"setup_intent": [_("Enter your card first.")]})
    intent = gateway.retrieve_setup_intent(setup_intent_id)
    if intent.get("customer") != account.stripe_customer_id:
        raise ValidationFailed(_("This card was not set up for your account."))
    if intent.get("status") != "succeeded" or not intent.get("payment_method"):
        raise CardDeclined(_("Your card could not be confirmed. Please try again or use another card."))
    payment_method = intent["payment_method"]
    return str(payment_method if isinstance(payment_method, str) else payment_method["id"])


def _check_seat_count(seats: int, in_use: int) -> None:
    if seats < 1 or seats > MAX_SEATS:
        raise ValidationFailed(
            _("Choose between 1 and %(max)d seats.") % {"max": MAX_SEATS},
            fields={"seats": [_("Choose between 1 and %(max)d seats.") % {"max": MAX_SEATS}]},
        )
    if seats < in_use:
        extra = in_use - seats
        holders = seat_holders()
        names = ", ".join(u.display_name for u in holders)
        raise SeatsInUse(
            _(
                "%(in_use)d people hold a seat, so %(seats)d seats are too few. Deactivate %(extra)d of them "
                "first: %(names)s."
            )
            % {"in_use": in_use, "seats": seats, "extra": extra, "names": names},
            deactivate=[{"id": u.pk, "email": u.email, "name": u.display_name} for u in holders],
            fields={"seats": [_("At least %(n)d seats are in use.") % {"n": in_use}]},
        )


# --- subscribing and changing the subscription -----------------------------------------------------


def do_subscribe(
    account: BillingAccount, *, plan: Plan, seats: int, setup_intent_id: str, actor: User
) -> BillingAccount:
    """Subscribe with the card confirmed in `setup_intent_id`: quantity = seats, and the trial's days
    left carry over (Stripe starts charging when the trial would have ended)."""
    with schema_context(account.tenant.schema_name):
        _check_seat_count(seats, seats_in_use())
    price_id = ensure_stripe_price(plan)
    with transaction.atomic():
        account = _lock(account.pk)
        if account.has_subscription:
            raise AlreadySubscribed(_("You already have a subscription: change its seats instead."))
        customer_id = _ensure_customer(account, actor)
        payment_method = _confirmed_payment_method(account, setup_intent_id)
        gateway.make_default_payment_method(customer_id, payment_method)
        trial_end = None
        if account.trial_ends_at and account.trial_ends_at > timezone.now() + timedelta(minutes=5):
            trial_end = int(account.trial_ends_at.timestamp())
        subscription = gateway.create_subscription(
            customer_id=customer_id,
            price_id=price_id,
            quantity=seats,
            trial_end=trial_end,
            schema_name=account.tenant.schema_name,
            # A double-submitted form (same confirmed card) cannot create two subscriptions.
            idempotency_key=f"subscribe-{account.pk}-{setup_intent_id}",
        )
        declined = _effective_status(subscription) == "incomplete"
        if declined:
            # The first payment failed: do not keep a half-made subscription around.
            gateway.cancel_subscription_now(subscription["id"])
            _audit(account, "subscribe_failed", actor, subscription=subscription["id"], reason="first payment failed")
        else:
            account.plan = plan
            _apply_subscription(account, subscription, source=SeatChange.Source.OWNER, actor=actor)
            _audit(account, "subscribed", actor, plan=plan.code, seats=seats, subscription=subscription["id"])
    if declined:  # raised after the commit, so the failed attempt stays on record
        raise CardDeclined(_("Your card was declined. Please use another card."))
    return account


@dataclass(frozen=True)
class SeatChangeResult:
    account: BillingAccount
    from_seats: int
    to_seats: int
    invoice: dict[str, Any] | None
    payment_failed: bool


def do_change_seats(account: BillingAccount, *, seats: int, actor: User) -> SeatChangeResult:
    """Set the number of paid seats. Takes effect at once and is prorated by Stripe; seats added to a
    paying subscription are invoiced and charged now. Removing seats held by active users is refused,
    naming them."""
    with transaction.atomic():
        account = _lock(account.pk)
        if not account.has_subscription:
            raise NoSubscription(_("Subscribe first: your trial's seats are fixed."))
        with schema_context(account.tenant.schema_name):
            _check_seat_count(seats, seats_in_use())
        before = account.seats
        if seats == before:
            return SeatChangeResult(account, before, seats, None, False)
        assert account.stripe_subscription_id and account.stripe_customer_id
        if not account.stripe_subscription_item_id:
            _apply_subscription(account, gateway.retrieve_subscription(account.stripe_subscription_id))
        subscription = gateway.update_subscription(
            account.stripe_subscription_id,
            {"items": [{"id": account.stripe_subscription_item_id, "quantity": seats}]},
        )
        invoice, payment_failed = None, False
        if seats > before and _effective_status(subscription) == "active":
            invoice = gateway.invoice_now(account.stripe_customer_id, account.stripe_subscription_id)
            if invoice.get("status") in {"draft", "open"}:
                try:
                    invoice = gateway.pay_invoice(invoice["id"])
                except CardDeclined:
                    payment_failed = True
                payment_failed = payment_failed or invoice.get("status") != "paid"
            subscription = gateway.retrieve_subscription(account.stripe_subscription_id)
        _apply_subscription(account, subscription, source=SeatChange.Source.OWNER, actor=actor)
        _audit(
            account,
            "seats_changed",
            actor,
            from_seats=before,
            to_seats=seats,
            invoice=(invoice or {}).get("id"),
            payment_failed=payment_failed,
        )
    return SeatChangeResult(account, before, seats, invoice, payment_failed)


def _set_cancel_at_period_end(account: BillingAccount, value: bool, actor: User) -> BillingAccount:
    with transaction.atomic():
        account = _lock(account.pk)
        if not account.has_subscription:
            raise NoSubscription(_("There is no subscription to change."))
        assert account.stripe_subscription_id
        subscription = gateway.update_subscription(account.stripe_subscription_id, {"cancel_at_period_end": value})
        _apply_subscription(account, subscription, source=SeatChange.Source.OWNER, actor=actor)
        _audit(
            account, "cancel_at_period_end" if value else "resumed", actor, period_end=str(account.current_period_end)
        )
    return account


def do_cancel_at_period_end(account: BillingAccount, actor: User) -> BillingAccount:
    """The subscription ends when the paid period does; nothing is deleted then, the tenant is suspended."""
    return _set_cancel_at_period_end(account, True, actor)


def do_resume(account: BillingAccount, actor: User) -> BillingAccount:
    """Undo a cancellation before the period ends."""
    return _set_cancel_at_period_end(account, False, actor)


def do_update_payment_method(account: BillingAccount, *, setup_intent_id: str, actor: User) -> BillingAccount:
    """Make the card confirmed in `setup_intent_id` the default, then pay whatever is open with it."""
    with transaction.atomic():
        account = _lock(account.pk)
        if not account.stripe_customer_id:
            raise NoSubscription(_("Subscribe first."))
        payment_method = _confirmed_payment_method(account, setup_intent_id)
        gateway.make_default_payment_method(account.stripe_customer_id, payment_method)
        _audit(account, "payment_method_updated", actor)
    return do_pay_open_invoices(account, actor)


def do_pay_open_invoices(account: BillingAccount, actor: User | None) -> BillingAccount:
    """Pay every open invoice with the default card; a tenant suspended for not paying is restored at
    once (the webhook that follows finds nothing left to do)."""
    from ..selectors import open_invoice_ids

    with transaction.atomic():
        account = _lock(account.pk)
        declined = False
        paid: list[str] = []
        for invoice_id in open_invoice_ids(account):
            try:
                invoice = gateway.pay_invoice(invoice_id)
            except CardDeclined:
                declined = True
                continue
            if invoice.get("status") == "paid":
                paid.append(invoice_id)
            else:
                declined = True
        _audit(account, "invoices_paid" if not declined else "invoice_payment_failed", actor, paid=paid)
        if account.stripe_subscription_id:
            _apply_subscription(account, gateway.retrieve_subscription(account.stripe_subscription_id), actor=actor)
    if declined:
        raise CardDeclined(_("Your card was declined. Please use another card."))
    return account
