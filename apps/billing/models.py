"""Billing lives in the public schema: plans, one billing account per tenant (the mirror of its
Stripe customer and subscription), seat changes, an audit trail and every Stripe event received."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.tenants.models import Tenant


class Plan(models.Model):
    """A price per agent seat per month, a trial and the features it unlocks."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    price_per_seat_cents = models.PositiveIntegerField(_("monthly price per seat (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="usd")
    trial_days = models.PositiveIntegerField(_("trial days"), default=14)
    trial_seats = models.PositiveIntegerField(_("seats during the trial"), default=3)
    features = models.JSONField(_("features"), default=list, blank=True)
    # Filled on first use from the Stripe account in use (or set by hand to an existing price).
    stripe_price_id = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "price_per_seat_cents"]

    def __str__(self) -> str:
        return self.name

    @property
    def price(self) -> float:
        return self.price_per_seat_cents / 100


class BillingAccount(models.Model):
    """The tenant as a customer. `status` mirrors Stripe's subscription status (trialing before any
    subscription exists); suspension itself is `Tenant.status`."""

    class Status(models.TextChoices):
        TRIALING = "trialing", _("Trial")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        INCOMPLETE = "incomplete", _("Payment incomplete")
        CANCELED = "canceled", _("Canceled")

    class SuspensionReason(models.TextChoices):
        NONE = "", _("Not suspended by billing")
        PAST_DUE = "past_due", _("Unpaid after the grace period")
        TRIAL_ENDED = "trial_ended", _("Trial ended without a subscription")
        CANCELED = "canceled", _("Subscription ended")

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="billing_account")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="accounts")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRIALING)
    # Seats paid for (or granted by the trial): the most seat-taking users that may be active.
    seats = models.PositiveIntegerField(default=0)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_subscription_item_id = models.CharField(max_length=255, blank=True)
    stripe_status = models.CharField(max_length=32, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    past_due_since = models.DateTimeField(null=True, blank=True)
    # Set when billing suspended the tenant, so billing lifts only its own suspensions.
    suspension_reason = models.CharField(
        max_length=16, choices=SuspensionReason.choices, default=SuspensionReason.NONE, blank=True
    )
    suspended_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "past_due_since"]), models.Index(fields=["status", "trial_ends_at"])]

    def __str__(self) -> str:
        return f"{self.tenant} ({self.status})"

    @property
    def has_subscription(self) -> bool:
        return bool(self.stripe_subscription_id) and self.status != self.Status.CANCELED

    @property
    def mrr_cents(self) -> int:
        """Monthly recurring revenue: paying subscriptions only (trials and canceled ones count 0)."""
        if self.status in {self.Status.ACTIVE, self.Status.PAST_DUE} and self.stripe_subscription_id:
            return self.seats * self.plan.price_per_seat_cents
        return 0


class SeatChange(models.Model):
    """Every change of the number of seats: who, when, from, to."""

    class Source(models.TextChoices):
        TRIAL = "trial", _("Trial started")
        OWNER = "owner", _("Changed by the customer")
        STRIPE = "stripe", _("Changed in Stripe")

    account = models.ForeignKey(BillingAccount, on_delete=models.CASCADE, related_name="seat_changes")
    from_seats = models.PositiveIntegerField()
    to_seats = models.PositiveIntegerField()
    source = models.CharField(max_length=16, choices=Source.choices)
    # Tenant users live in the tenant's schema: keep who it was as text, not as a foreign key.
    actor_email = models.CharField(max_length=254, blank=True)
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_seats} -> {self.to_seats}"


class AuditEntry(models.Model):
    """One row per billing write."""

    account = models.ForeignKey(BillingAccount, on_delete=models.CASCADE, related_name="audit_entries")
    action = models.CharField(max_length=40)
    actor_email = models.CharField(max_length=254, blank=True)
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return self.action


class StripeEvent(models.Model):
    """Every webhook event received, by Stripe's id: processed once, replays are answered from here."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    account = models.ForeignKey(BillingAccount, null=True, blank=True, on_delete=models.SET_NULL)
    payload = models.JSONField()
    outcome = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"
