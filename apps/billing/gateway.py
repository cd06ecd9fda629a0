"""The only module that talks to Stripe. Everything comes back as plain dicts; Stripe's errors come
back as our BillingErrors. Reads the configuration at call time, so it follows the settings."""

from __future__ import annotations

import logging
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import BillingNotConfigured, CardDeclined, PaymentProviderError

logger = logging.getLogger(__name__)


def billing_enabled() -> bool:
    """False: no STRIPE_SECRET_KEY, billing runs in its explicit free development mode."""
    return bool(settings.STRIPE_SECRET_KEY)


def client() -> stripe.StripeClient:
    if not billing_enabled():
        raise BillingNotConfigured(_("Billing is not configured (no Stripe keys): free development mode."))
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2)  # type: ignore[arg-type]


def _call(what: str, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        result = fn(*args, **kwargs)
    except stripe.CardError as exc:
        raise CardDeclined(exc.user_message or _("Your card was declined.")) from exc
    except stripe.StripeError as exc:
        logger.warning("Stripe %s failed: %s", what, exc)
        if getattr(exc, "http_status", None) == 402:
            raise CardDeclined(exc.user_message or _("Your card was declined.")) from exc
        raise PaymentProviderError(
            _("The payment provider could not complete the request. Please try again in a moment.")
        ) from exc
    return dict(result.to_dict())


def is_missing(exc: BaseException) -> bool:
    cause = exc.__cause__
    return isinstance(cause, stripe.InvalidRequestError) and getattr(cause, "http_status", None) == 404


def create_price(*, name: str, amount_cents: int, currency: str, code: str) -> dict[str, Any]:
    c = client()
    product = _call("product create", c.v1.products.create, params={"name": name, "metadata": {"plan": code}})
    # A Plan object is a recurring price that every Stripe API version (and localstripe) accepts.
    return _call(
        "plan create",
        c.v1.plans.create,
        params={
            "amount": amount_cents,
            "currency": currency,
            "interval": "month",
            "product": product["id"],
            "nickname": code,
            "metadata": {"plan": code},
        },
    )


def retrieve_price(price_id: str) -> dict[str, Any]:
    return _call("plan retrieve", client().v1.plans.retrieve, price_id)


def create_customer(*, email: str, name: str, schema_name: str) -> dict[str, Any]:
    return _call(
        "customer create",
        client().v1.customers.create,
        params={"email": email, "name": name, "metadata": {"tenant_schema": schema_name}},
    )


def retrieve_customer(customer_id: str) -> dict[str, Any]:
    return _call("customer retrieve", client().v1.customers.retrieve, customer_id)


def create_setup_intent(customer_id: str) -> dict[str, Any]:
    return _call(
        "setup intent create",
        client().v1.setup_intents.create,
        params={"customer": customer_id, "usage": "off_session", "payment_method_types": ["card"]},
    )


def retrieve_setup_intent(setup_intent_id: str) -> dict[str, Any]:
    return _call("setup intent retrieve", client().v1.setup_intents.retrieve, setup_intent_id)


def make_default_payment_method(customer_id: str, payment_method_id: str) -> dict[str, Any]:
    c = client()
    pm = _call("payment method retrieve", c.v1.payment_methods.retrieve, payment_method_id)
    if pm.get("customer") != customer_id:
        pm = _call(
            "payment method attach", c.v1.payment_methods.attach, payment_method_id, params={"customer": customer_id}
        )
    _call(
        "customer update",
        c.v1.customers.update,
        customer_id,
        params={"invoice_settings": {"default_payment_method": payment_method_id}},
    )
    return pm


def create_subscription(
    *, customer_id: str, price_id: str, quantity: int, trial_end: int | None, schema_name: str, idempotency_key: str
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "customer": customer_id,
        "items": [{"plan": price_id, "quantity": quantity}],
        "metadata": {"tenant_schema": schema_name},
    }
    if trial_end:
        params["trial_end"] = trial_end
    return _call(
        "subscription create",
        client().v1.subscriptions.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    )


def retrieve_subscription(subscription_id: str) -> dict[str, Any]:
    return _call("subscription retrieve", client().v1.subscriptions.retrieve, subscription_id)


def cancel_subscription_now(subscription_id: str) -> dict[str, Any]:
    return _call("subscription cancel", client().v1.subscriptions.cancel, subscription_id)


def update_subscription(subscription_id: str, params: dict[str, Any]) -> dict[str, Any]:
    # No proration_behavior: Stripe's default, create_prorations, prorates every quantity change.
    return _call("subscription update", client().v1.subscriptions.update, subscription_id, params=params)


def invoice_now(customer_id: str, subscription_id: str) -> dict[str, Any]:
    """Invoice the subscription's pending prorations now instead of with the next renewal."""
    return _call(
        "invoice create",
        client().v1.invoices.create,
        params={"customer": customer_id, "subscription": subscription_id, "pending_invoice_items_behavior": "include"},
    )


def pay_invoice(invoice_id: str) -> dict[str, Any]:
    return _call("invoice pay", client().v1.invoices.pay, invoice_id)


def list_invoices(customer_id: str, limit: int = 24) -> list[dict[str, Any]]:
    result = _call("invoice list", client().v1.invoices.list, params={"customer": customer_id, "limit": limit})
    return list(result.get("data", []))


def preview_invoice(customer_id: str, subscription_id: str) -> dict[str, Any]:
    return _call(
        "invoice preview",
        client().v1.invoices.create_preview,
        params={"customer": customer_id, "subscription": subscription_id},
    )


def construct_event(payload: bytes, signature: str | None) -> Any:
    """Verify `Stripe-Signature` against the raw body (with the timestamp tolerance) and parse it.
    Raises stripe.SignatureVerificationError or ValueError."""
    return stripe.Webhook.construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
    )
