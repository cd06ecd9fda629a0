"""Outgoing webhooks: the tenant's subscriptions (where to send which events, signed with their secret),
each event sent to a subscription (a delivery, with the exact body) and each attempt to send it (the
answer, how long it took, what went wrong)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The events a subscription may ask for (docs/webhooks.md describes each one's payload).
EVENTS: dict[str, Any] = {
    "interaction.created": _("A conversation or call was opened"),
    "interaction.assigned": _("A conversation was given to an agent"),
    "interaction.resolved": _("A conversation was resolved"),
    "message.created": _("A customer or an agent wrote a message"),
    "call.ended": _("A call ended"),
    "csat.received": _("A customer rated a conversation"),
    "contact.merged": _("Two contacts were merged"),
}


class Subscription(models.Model):
    description = models.CharField(_("description"), max_length=200, blank=True)
    url = models.CharField(_("address"), max_length=2000)
    events = models.JSONField(_("events"), default=list)
    # Sealed (signing.seal: the database alone does not give it away); each delivery is signed with
    # it. Shown once, when made or rotated; its first characters (`secret_hint`) tell it apart.
    secret = models.CharField(max_length=300)
    secret_hint = models.CharField(max_length=16, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # The first failed attempt since the last success; a subscription failing this long is disabled.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Failed, will retry")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    # X-CCaaS-Delivery: the same on every attempt and replay, so the receiver can ignore a repeat.
    uid = models.UUIDField(default=uuid.uuid4, unique=True)
    event = models.CharField(max_length=40)
    event_id = models.UUIDField()  # one event sent to several subscriptions has one id
    body = models.TextField()  # the JSON sent, the same bytes on every attempt
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.uid}"


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    manual = models.BooleanField(default=False)  # a replay someone asked for
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)  # its first RESPONSE_KEEP characters
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number}"
