"""Workforce management's rows: the tenant's holidays, the forecast's overrides, contracts, availability and
schedules (shifts and their activities)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Holiday(models.Model):
    """A day of the tenant's calendar that is not like the others: left out of the forecast's history,
    and its own forecast scaled by `factor` (0: closed)."""

    day = models.DateField(_("day"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    factor = models.FloatField(_("share of a usual day"), default=0.0)

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class ForecastOverride(models.Model):
    """A planner's own figure for one interval of a queue's forecast (volume, handle time or both)."""

    queue = models.ForeignKey("routing.Queue", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16, blank=True)  # "": every channel
    start = models.DateTimeField()
    interval_minutes = models.PositiveSmallIntegerField()
    volume = models.FloatField(null=True, blank=True)
    aht_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["queue", "channel", "start", "interval_minutes"], name="forecastoverride_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.queue_id} {self.start}"


class Contract(models.Model):
    """What an agent's week may hold: hours (min/max), shift lengths, days, and the breaks a shift gets."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    min_minutes_week = models.PositiveIntegerField(_("minimum minutes a week"), default=0)
    max_minutes_week = models.PositiveIntegerField(_("maximum minutes a week"), default=2400)
    shift_minutes = ArrayField(models.PositiveSmallIntegerField(), verbose_name=_("shift lengths (minutes)"))
    max_days_week = models.PositiveSmallIntegerField(_("maximum days a week"), default=5)
    break_minutes = models.PositiveSmallIntegerField(_("break (minutes)"), default=15)
    lunch_minutes = models.PositiveSmallIntegerField(_("lunch (minutes)"), default=30)

    def __str__(self) -> str:
        return self.name


class AgentContract(models.Model):
    agent = models.OneToOneField("agents.AgentProfile", on_delete=models.CASCADE, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="agents")

    def __str__(self) -> str:
        return f"{self.agent_id} {self.contract_id}"


class Availability(models.Model):
    """A weekly window in which the agent may work: minutes after local midnight of the weekday (0 Monday),
    [start_minute, end_minute), in the schedule's time zone."""

    agent = models.ForeignKey("agents.AgentProfile", on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField()
    start_minute = models.PositiveSmallIntegerField()
    end_minute = models.PositiveSmallIntegerField()

    class Meta:
        ordering: ClassVar[list[str]] = ["agent", "weekday", "start_minute"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6, start_minute__lt=models.F("end_minute"), end_minute__lte=1440),
                name="availability_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.weekday} {self.start_minute}-{self.end_minute}"


class Schedule(models.Model):
    """Shifts for whole weeks from a Monday, generated to cover a queue's requirement (or made by hand).
    Agents see it, and adherence measures against it, once it is published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    name = models.CharField(_("name"), max_length=120)
    queue = models.ForeignKey("routing.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=16, blank=True)
    first_day = models.DateField()
    weeks = models.PositiveSmallIntegerField(default=1)
    interval_minutes = models.PositiveSmallIntegerField(default=15)
    time_zone = models.CharField(max_length=64, default="UTC")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Agents needed per interval (what the schedule was generated to cover), and how the solver did.
    required = ArrayField(models.PositiveIntegerField(), default=list, blank=True)
    targets = models.JSONField(default=dict, blank=True)
    solver = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-first_day", "-pk"]

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="shifts")
    agent = models.ForeignKey("agents.AgentProfile", on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering: ClassVar[list[str]] = ["start", "agent_id"]
        indexes: ClassVar[list[Any]] = [models.Index(fields=["agent", "start"], name="shift_agent_start")]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="shift_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.start:%Y-%m-%d %H:%M}"


class Activity(models.Model):
    """Time off the queues inside a shift; the rest of the shift is work (on the queues)."""

    class Kind(models.TextChoices):
        BREAK = "break", _("Break")
        LUNCH = "lunch", _("Lunch")
        MEETING = "meeting", _("Meeting")
        TRAINING = "training", _("Training")

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering: ClassVar[list[str]] = ["start"]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="activity_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start:%H:%M}"
