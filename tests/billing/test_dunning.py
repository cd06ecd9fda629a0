"""Payment failure end to end: a renewal charge is declined (localstripe's failing test cards) ->
past due (localstripe's own webhook, banner, mail over SMTP) -> suspended by the Celery beat task
after the grace period -> the owner pays with a new card -> active again at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.billing.actions import do_update_payment_method
from apps.billing.errors import CardDeclined
from apps.billing.models import AuditEntry, BillingAccount, StripeEvent
from apps.billing.selectors import tenant_can_route
from apps.billing.tasks import enforce_dunning
from apps.tenants.models import Tenant
from tests.billing.conftest import BillingWorker, LocalStripe, SmtpServer
from tests.billing.helpers import (
    AUTH_THEN_DECLINED,
    DECLINED_ON_CHARGE,
    GOOD_CARD,
    account_of,
    add_member,
    confirmed_setup_intent,
    logged_in_client,
    owner_of,
    settle,
    stripe_client,
    stripe_subscription,
    subscribe,
)
from tests.conftest import PASSWORD, TenantInfo, WebServer, wait_until

pytestmark = pytest.mark.usefixtures("localstripe", "billing_web")


def renewal_declined(ls: LocalStripe, account: BillingAccount) -> None:
    """The customer's card starts failing and the monthly renewal is charged, as Stripe does at the
    period's end (localstripe has no clock, so the renewal invoice is made and charged here)."""
    client = stripe_client()
    card = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": AUTH_THEN_DECLINED, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    client.v1.payment_methods.attach(card.id, params={"customer": account.stripe_customer_id})
    client.v1.customers.update(
        account.stripe_customer_id, params={"invoice_settings": {"default_payment_method": card.id}}
    )
    invoice = client.v1.invoices.create(
        params={"customer": account.stripe_customer_id, "subscription": account.stripe_subscription_id}
    )
    invoice = client.v1.invoices.pay(invoice.id)
    intent = client.v1.payment_intents.retrieve(invoice.payment_intent)
    # The bank's 3-D Secure step passes, then the charge is declined: localstripe marks the invoice
    # failed, the subscription past_due, and posts invoice.payment_failed to our webhook.
    status, body = ls.post(
        f"/v1/payment_intents/{intent.id}/_authenticate", {"client_secret": intent.client_secret, "success": True}
    )
    assert status == 402, body


def test_failed_payment_past_due_suspended_paid_active(
    tenant_factory: Any,
    localstripe: LocalStripe,
    billing_web: WebServer,
    billing_worker: BillingWorker,
    smtp_server: SmtpServer,
) -> None:
    info: TenantInfo = tenant_factory("dun")
    account = subscribe(localstripe, info, seats=2, trial=False)
    admin = add_member(info, "Ada Admin", role=User.Role.ADMIN)
    agent = add_member(info, "Al Agent")
    settle(account)

    renewal_declined(localstripe, account)
    assert stripe_subscription(account)["status"] == "past_due"
    wait_until(lambda: account_of(info).status == BillingAccount.Status.PAST_DUE, 15, "past_due via webhook")
    failed_event = StripeEvent.objects.get(type="invoice.payment_failed", account=account)
    assert failed_event.outcome == "synced"
    account = account_of(info)
    assert account.past_due_since is not None

    # The owner and admins get one mail each, through a real SMTP server.
    wait_until(lambda: len(smtp_server.to(info.email)) == 1, 10, "the past-due mail to the owner")
    mail = smtp_server.to(info.email)[0]
    assert mail["Subject"] == f"Payment failed for {info.tenant.name}"
    body = mail.get_payload()
    assert "/billing/" in body and "suspended" in body
    assert len(smtp_server.to(admin.email)) == 1
    assert smtp_server.to(agent.email) == []

    # Within the grace period: still routing; owners and admins see the banner, agents do not.
    assert tenant_can_route(Tenant.objects.get(pk=info.tenant.pk))
    page = logged_in_client(info).get("/")
    assert b'data-testid="billing-banner" data-state="past_due"' in page.content
    assert b"Your last payment failed" in page.content
    agent_page = logged_in_client(info, agent.email).get("/")
    assert agent_page.status_code == 200 and b"billing-banner" not in agent_page.content

    # Paying with a card that is declined too changes nothing.
    setup_intent = confirmed_setup_intent(localstripe, info, DECLINED_ON_CHARGE)
    with pytest.raises(CardDeclined):
        do_update_payment_method(account, setup_intent_id=setup_intent, actor=owner_of(info))
    assert account_of(info).status == BillingAccount.Status.PAST_DUE

    # The beat task leaves it alone inside the grace period...
    billing_worker.run(enforce_dunning)
    assert Tenant.objects.get(pk=info.tenant.pk).status == Tenant.Status.ACTIVE
    # ...and suspends it once the grace period has passed.
    BillingAccount.objects.filter(pk=account.pk).update(
        past_due_since=timezone.now() - timedelta(days=settings.BILLING_GRACE_DAYS, minutes=1)
    )
    assert billing_worker.run(enforce_dunning)["suspended"] >= 1
    tenant = Tenant.objects.get(pk=info.tenant.pk)
    assert tenant.status == Tenant.Status.SUSPENDED and not tenant_can_route(tenant)
    assert account_of(info).suspension_reason == "past_due"
    billing_worker.run(enforce_dunning)  # idempotent
    assert AuditEntry.objects.filter(account=account, action="suspended").count() == 1

    # Suspended: agents still sign in and read; owners see why.
    agent_client = logged_in_client(info, agent.email)
    assert agent_client.get("/").status_code == 200
    owner_page = logged_in_client(info).get("/")
    assert b'data-state="suspended"' in owner_page.content
    with schema_context(info.schema_name):
        assert User.objects.filter(is_active=True).count() == 3  # nothing was deleted or deactivated

    # The owner pays with a good card: restored at once, before any webhook arrives.
    setup_intent = confirmed_setup_intent(localstripe, info, GOOD_CARD)
    do_update_payment_method(account, setup_intent_id=setup_intent, actor=owner_of(info))
    account = account_of(info)
    assert account.status == BillingAccount.Status.ACTIVE and account.past_due_since is None
    tenant = Tenant.objects.get(pk=info.tenant.pk)
    assert tenant.status == Tenant.Status.ACTIVE and tenant_can_route(tenant)
    assert account.suspension_reason == ""
    assert stripe_subscription(account)["status"] == "active"
    actions = list(AuditEntry.objects.filter(account=account).values_list("action", flat=True))
    assert {"past_due", "suspended", "restored", "payment_method_updated", "invoices_paid"} <= set(actions)
    # The payment's own webhook arrives later and finds nothing left to do.
    wait_until(
        lambda: StripeEvent.objects.filter(type="invoice.payment_succeeded", account=account).count() >= 2,
        15,
        "the payment's webhook",
    )
    assert account_of(info).status == BillingAccount.Status.ACTIVE
    assert len(smtp_server.to(info.email)) == 1
    assert logged_in_client(info).get("/").content.count(b"billing-banner") == 0


def test_a_trial_that_ends_without_a_subscription_is_suspended_until_paid(
    tenant_factory: Any, localstripe: LocalStripe, billing_worker: BillingWorker
) -> None:
    info = tenant_factory("trl")
    BillingAccount.objects.filter(tenant=info.tenant).update(trial_ends_at=timezone.now() - timedelta(minutes=1))
    billing_worker.run(enforce_dunning)
    assert Tenant.objects.get(pk=info.tenant.pk).status == Tenant.Status.SUSPENDED
    assert account_of(info).suspension_reason == "trial_ended"
    # The owner can still sign in and subscribe, which restores the tenant.
    client = logged_in_client(info)
    assert b'data-state="suspended"' in client.get("/billing/").content
    subscribe(localstripe, info, seats=1)
    assert Tenant.objects.get(pk=info.tenant.pk).status == Tenant.Status.ACTIVE
    assert account_of(info).status == BillingAccount.Status.ACTIVE


def test_an_operator_suspension_is_not_lifted_by_billing(tenant_factory: Any, localstripe: LocalStripe) -> None:
    from apps.billing.actions import do_sync_subscription

    info = tenant_factory("ops")
    account = subscribe(localstripe, info, seats=1, trial=False)
    Tenant.objects.filter(pk=info.tenant.pk).update(status=Tenant.Status.SUSPENDED)
    do_sync_subscription(account_of(info))
    assert Tenant.objects.get(pk=info.tenant.pk).status == Tenant.Status.SUSPENDED
    assert account.status == BillingAccount.Status.ACTIVE


def test_the_subscription_ending_suspends_the_tenant(tenant_factory: Any, localstripe: LocalStripe) -> None:
    """At the end of a period after "cancel at period end", Stripe deletes the subscription and says
    so with customer.subscription.deleted (posted here by localstripe)."""
    info = tenant_factory("end")
    account = subscribe(localstripe, info, seats=1, trial=False)
    settle(account)
    stripe_client().v1.subscriptions.cancel(account.stripe_subscription_id)
    wait_until(
        lambda: Tenant.objects.get(pk=info.tenant.pk).status == Tenant.Status.SUSPENDED, 15, "subscription.deleted"
    )
    account = account_of(info)
    assert account.status == BillingAccount.Status.CANCELED and account.suspension_reason == "canceled"
    assert not account.has_subscription


def test_plain_password_login_works_for_agents_while_suspended(tenant_factory: Any) -> None:
    from django.test import Client

    info = tenant_factory("sus")
    agent = add_member(info, "Sam Agent")
    Tenant.objects.filter(pk=info.tenant.pk).update(status=Tenant.Status.SUSPENDED)
    client = Client(HTTP_HOST=info.host)
    response = client.post("/login/", {"username": agent.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
