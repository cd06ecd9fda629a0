"""Queues, their business hours and routing steps, and offers (reservations)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.agents.models import AgentProfile


def validate_timezone(value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone %(tz)s."), params={"tz": value}) from exc


class BusinessHours(models.Model):
    """Weekly opening hours in a time zone. `weekly` maps "mon".."sun" to [["09:00", "17:30"], ...]."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_timezone])
    weekly = models.JSONField(_("weekly hours"), default=dict)

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from .hours import check_weekly

        errors = check_weekly(self.weekly)
        if errors:
            raise ValidationError({"weekly": errors})


class Holiday(models.Model):
    hours = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints: ClassVar[list[Any]] = [models.UniqueConstraint(fields=["hours", "date"], name="holiday_once")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Queue(models.Model):
    class Overflow(models.TextChoices):
        NONE = "none", _("Keep waiting")
        QUEUE = "queue", _("Move to another queue")
        CALLBACK = "callback", _("Offer a callback")

    name = models.CharField(_("name"), max_length=100, unique=True)
    priority = models.IntegerField(_("priority"), default=0, help_text=_("Higher queues are served first."))
    sla_percent = models.PositiveSmallIntegerField(
        _("service level %"), default=80, validators=[MaxValueValidator(100)]
    )
    sla_seconds = models.PositiveIntegerField(_("answered within (s)"), default=20)
    business_hours = models.ForeignKey(
        BusinessHours, null=True, blank=True, on_delete=models.SET_NULL, help_text=_("Empty: always open.")
    )
    max_wait_seconds = models.PositiveIntegerField(_("maximum wait (s)"), null=True, blank=True)
    max_size = models.PositiveIntegerField(_("maximum waiting"), null=True, blank=True)
    overflow_action = models.CharField(max_length=16, choices=Overflow.choices, default=Overflow.NONE)
    overflow_queue = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="overflow_sources"
    )
    wrap_up_seconds = models.PositiveIntegerField(_("wrap-up time (s)"), default=0)
    offer_timeout_seconds = models.PositiveIntegerField(
        _("offer timeout (s)"), default=20, validators=[MinValueValidator(3)]
    )
    preferred_agent_wait_seconds = models.PositiveIntegerField(_("wait for the preferred agent (s)"), default=30)
    # A returning customer is offered first to the agent who last helped them, on whichever channel
    # (for preferred_agent_wait_seconds), then to anyone the steps allow.
    prefer_last_agent = models.BooleanField(_("prefer the agent who helped the customer last"), default=False)
    # Effective priority = priority + aging x minutes waited.
    priority_aging_per_minute = models.FloatField(_("priority added per minute waited"), default=0.0)
    record_calls = models.BooleanField(_("record calls"), default=False)
    require_disposition = models.BooleanField(_("a disposition is required to resolve"), default=False)
    require_note = models.BooleanField(_("a note is required to resolve"), default=False)
    members = models.ManyToManyField(AgentProfile, blank=True, related_name="queues")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.overflow_action == self.Overflow.QUEUE and not self.overflow_queue_id:
            raise ValidationError({"overflow_queue": _("Choose the queue to overflow to.")})
        if self.overflow_queue_id and self.overflow_queue_id == self.pk:
            raise ValidationError({"overflow_queue": _("A queue cannot overflow into itself.")})


class RoutingStep(models.Model):
    """One ring of the bullseye: who may take the interaction during this step."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    expression = models.CharField(
        _("agents who match"), max_length=1000, help_text=_('e.g. skills.billing >= 4 and language == "zh"')
    )
    duration_seconds = models.PositiveIntegerField(
        _("for (s)"), null=True, blank=True, help_text=_("Empty: until answered.")
    )

    class Meta:
        ordering = ["queue", "order", "pk"]

    def __str__(self) -> str:
        return self.expression


class InteractionAttribute(models.Model):
    """An attribute of interactions that routing expressions may test (interaction.<name>)."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        BOOLEAN = "boolean", _("Yes/no")

    name = models.SlugField(max_length=50, unique=True)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.TEXT)

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Ringing")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        TIMED_OUT = "timed_out", _("Timed out")
        CANCELLED = "cancelled", _("Cancelled")

    interaction = models.ForeignKey("inbox.Interaction", on_delete=models.CASCADE, related_name="offers")
    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="offers")
    channel = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            # The database itself refuses a second live offer of one interaction.
            models.UniqueConstraint(
                fields=["interaction"], condition=models.Q(status="pending"), name="one_pending_offer_per_interaction"
            ),
        ]
        indexes: ClassVar[list[Any]] = [models.Index(fields=["agent", "status"], name="offer_agent_status")]

    def __str__(self) -> str:
        return f"Offer {self.pk} ({self.status})"
