"""What the tests do the way a browser (Stripe.js) or Stripe itself would."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import stripe
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from apps.accounts.actions import NewUserInput, do_create_user
from apps.accounts.models import User
from apps.billing import gateway
from apps.billing.actions import do_prepare_card_setup, do_subscribe
from apps.billing.models import BillingAccount, Plan
from tests.billing.conftest import PUBLISHABLE_KEY, WEBHOOK_SECRET, LocalStripe
from tests.conftest import PASSWORD, TenantInfo

GOOD_CARD = "4242424242424242"
DECLINED_ON_CHARGE = "4000000000000341"  # attaches, every charge is declined
DECLINED_ON_ATTACH = "4000000000000002"
AUTH_THEN_DECLINED = "4000008260003178"  # asks for 3-D Secure, then the charge is declined


def stripe_client() -> stripe.StripeClient:
    return gateway.client()


def account_of(info: TenantInfo) -> BillingAccount:
    return BillingAccount.objects.select_related("plan", "tenant").get(tenant=info.tenant)


def owner_of(info: TenantInfo) -> User:
    with schema_context(info.schema_name):
        return User.objects.get(email=info.email)


def confirm_card(ls: LocalStripe, client_secret: str, number: str = GOOD_CARD) -> tuple[int, dict[str, Any]]:
    """What `stripe.confirmCardSetup(clientSecret, {payment_method: {card}})` sends from the browser."""
    seti = client_secret.split("_secret_")[0]
    return ls.post(
        f"/v1/setup_intents/{seti}/confirm",
        {
            "key": PUBLISHABLE_KEY,
            "client_secret": client_secret,
            "use_stripe_sdk": True,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"},
            },
        },
        key="",
    )


def confirmed_setup_intent(ls: LocalStripe, info: TenantInfo, number: str = GOOD_CARD) -> str:
    setup = do_prepare_card_setup(account_of(info), owner_of(info))
    status, body = confirm_card(ls, setup.client_secret, number)
    assert status == 200, body
    return setup.setup_intent_id


def subscribe(
    ls: LocalStripe, info: TenantInfo, seats: int, *, trial: bool = True, card: str = GOOD_CARD, plan: str = "starter"
) -> BillingAccount:
    """Subscribe as the owner. trial=False ends the trial first, so the first invoice is charged now."""
    if not trial:
        BillingAccount.objects.filter(tenant=info.tenant).update(trial_ends_at=info.tenant.created_at)
    setup_intent = confirmed_setup_intent(ls, info, card)
    return do_subscribe(
        account_of(info),
        plan=Plan.objects.get(code=plan),
        seats=seats,
        setup_intent_id=setup_intent,
        actor=owner_of(info),
    )


def add_member(info: TenantInfo, name: str, role: str = User.Role.AGENT) -> User:
    with schema_context(info.schema_name):
        email = f"{name.lower().replace(' ', '.')}@{info.subdomain}.test"
        return do_create_user(
            NewUserInput(email=email, full_name=name, password=PASSWORD, role=role), actor=owner_of(info)
        )


def stripe_subscription(account: BillingAccount) -> dict[str, Any]:
    assert account.stripe_subscription_id
    return dict(stripe_client().v1.subscriptions.retrieve(account.stripe_subscription_id).to_dict())


def sign(payload: bytes, timestamp: int | None = None, secret: str = WEBHOOK_SECRET) -> str:
    """A `Stripe-Signature` header, computed as Stripe documents it (HMAC-SHA256 of "t.payload")."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_test_{time.time_ns()}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "api_version": "2026-10-28.endive",
        "data": {"object": obj},
    }


def post_webhook(payload: bytes, signature: str | None) -> Any:
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    return Client(HTTP_HOST=settings.BASE_DOMAIN).post(
        "/billing/webhooks/stripe/", data=payload, content_type="application/json", **headers
    )


def post_event(evt: dict[str, Any], **kwargs: Any) -> Any:
    payload = json.dumps(evt).encode()
    return post_webhook(payload, sign(payload, **kwargs))


def logged_in_client(info: TenantInfo, email: str | None = None) -> Client:
    client = Client(HTTP_HOST=info.host)
    with schema_context(info.schema_name):  # the session is stored in the tenant's schema
        assert client.login(username=email or info.email, password=PASSWORD)
    return client


def settle(account: BillingAccount, *types: str, timeout: float = 15) -> None:
    """Wait until localstripe's own webhooks of `types` for this account have been processed (it
    posts them a second after the change), so a test's next step does not race them."""
    from apps.billing.models import StripeEvent
    from tests.conftest import wait_until

    kinds = types or ("customer.subscription.created", "invoice.payment_succeeded")
    wait_until(
        lambda: all(
            StripeEvent.objects.filter(type=k, account=account, processed_at__isnull=False).exists() for k in kinds
        ),
        timeout,
        f"localstripe's {', '.join(kinds)} for {account}",
    )
