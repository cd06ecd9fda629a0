"""Workforce management's rows: the tenant's holidays and the forecast's overrides."""

from __future__ import annotations

from typing import Any, ClassVar

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
