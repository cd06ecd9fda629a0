"""Reads of billing. Seat counts read the tenant's schema (the connection's current schema)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.core.tenancy import current_schema
from apps.tenants.models import Tenant

from . import gateway
from .models import BillingAccount, Plan, SeatChange

# Who takes a seat: every active user who can sign in to the desktop and handle contacts (agents,
# supervisors, admins), as Amazon Connect and Twilio Flex count them. The owner is free: one per
# tenant, so a business can set up before paying. Making admins free would invite paying nobody.
SEAT_ROLES = (User.Role.AGENT, User.Role.SUPERVISOR, User.Role.ADMIN)


def tenant_can_route(tenant: Tenant) -> bool:
    """May new interactions be routed to this tenant's agents? False while it is suspended (unpaid,
    trial over, subscription ended, or suspended by an operator); its widget shows the offline form."""
    return tenant.status == Tenant.Status.ACTIVE


def takes_seat(role: str) -> bool:
    return role in SEAT_ROLES


def seat_holders() -> list[User]:
    """Active users of the current tenant schema who take a seat, newest first."""
    return list(User.objects.filter(is_active=True, role__in=SEAT_ROLES).order_by("-date_joined", "-id"))


def seats_in_use() -> int:
    return User.objects.filter(is_active=True, role__in=SEAT_ROLES).count()


def account_for_tenant(tenant: Tenant) -> BillingAccount | None:
    return BillingAccount.objects.select_related("plan", "tenant").filter(tenant=tenant).first()


def account_for_schema(schema_name: str | None = None) -> BillingAccount | None:
    return (
        BillingAccount.objects.select_related("plan", "tenant")
        .filter(tenant__schema_name=schema_name or current_schema())
        .first()
    )


def active_plans() -> list[Plan]:
    return list(Plan.objects.filter(is_active=True))


def add_seats_url() -> str:
    return reverse("billing-overview") + "#seats"


def trial_days_left(account: BillingAccount, now: datetime | None = None) -> int | None:
    if account.status != BillingAccount.Status.TRIALING or account.trial_ends_at is None:
        return None
    seconds = (account.trial_ends_at - (now or timezone.now())).total_seconds()
    return max(0, int((seconds + 86399) // 86400))


def grace_ends_at(account: BillingAccount) -> datetime | None:
    if account.past_due_since is None:
        return None
    return account.past_due_since + timedelta(days=settings.BILLING_GRACE_DAYS)


def banner_for(account: BillingAccount | None) -> str | None:
    """Which billing banner owners and admins see: "past_due", "suspended" or None."""
    if account is None or not gateway.billing_enabled():
        return None
    if account.tenant.status == Tenant.Status.SUSPENDED:
        return "suspended"
    if account.status == BillingAccount.Status.PAST_DUE:
        return "past_due"
    return None


def seat_history(account: BillingAccount, limit: int = 20) -> list[SeatChange]:
    return list(account.seat_changes.all()[:limit])


def _invoice_row(invoice: dict[str, Any]) -> dict[str, Any]:
    created = invoice.get("created") or invoice.get("date")
    return {
        "id": invoice.get("id") or "",
        "number": invoice.get("number") or invoice.get("id") or "",
        "status": invoice.get("status") or "",
        "amount_due": (invoice.get("amount_due") or 0) / 100,
        "amount_paid": (invoice.get("amount_paid") or 0) / 100,
        "currency": (invoice.get("currency") or "").upper(),
        "created": datetime.fromtimestamp(created, tz=UTC) if created else None,
        "period_end": datetime.fromtimestamp(invoice["period_end"], tz=UTC) if invoice.get("period_end") else None,
        "next_payment_attempt": datetime.fromtimestamp(invoice["next_payment_attempt"], tz=UTC)
        if invoice.get("next_payment_attempt")
        else None,
        "hosted_invoice_url": invoice.get("hosted_invoice_url") or "",
        "invoice_pdf": invoice.get("invoice_pdf") or "",
    }


def invoices(account: BillingAccount) -> list[dict[str, Any]]:
    """The customer's invoices from Stripe, newest first, with their hosted pages."""
    if not gateway.billing_enabled() or not account.stripe_customer_id:
        return []
    return [_invoice_row(i) for i in gateway.list_invoices(account.stripe_customer_id)]


def upcoming_invoice(account: BillingAccount) -> dict[str, Any] | None:
    if not gateway.billing_enabled() or not account.has_subscription or not account.stripe_customer_id:
        return None
    assert account.stripe_subscription_id
    return _invoice_row(gateway.preview_invoice(account.stripe_customer_id, account.stripe_subscription_id))


def open_invoice_ids(account: BillingAccount) -> list[str]:
    if not account.stripe_customer_id:
        return []
    return [i["id"] for i in gateway.list_invoices(account.stripe_customer_id) if i.get("status") == "open"]


def platform_accounts() -> Any:
    """Every customer tenant with its billing account, for the platform admin."""
    return (
        Tenant.objects.exclude(schema_name="public")
        .filter(is_template=False)
        .select_related("billing_account", "billing_account__plan")
        .order_by("-created_at")
    )


def total_mrr_cents() -> int:
    total = BillingAccount.objects.filter(
        status__in=[BillingAccount.Status.ACTIVE, BillingAccount.Status.PAST_DUE], stripe_subscription_id__isnull=False
    ).aggregate(total=Sum(F("seats") * F("plan__price_per_seat_cents")))["total"]
    return int(total or 0)


def seats_in_use_for(tenant: Tenant) -> int:
    from django_tenants.utils import schema_context

    with schema_context(tenant.schema_name):
        return seats_in_use()
