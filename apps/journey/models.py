"""What a customer did outside the conversations: web page views and custom events, from the widget's
tracker or the business's backend. The conversations themselves are the inbox's interactions and
their record (segments); journey reads those and never writes them."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebEvent(models.Model):
    """One page view or custom event. `contact` is set once the visitor is known (the server API
    always names it); `session_id` groups a browser's events into visits (empty for server events)."""

    class Kind(models.TextChoices):
        PAGE = "page", _("Page view")
        EVENT = "event", _("Event")

    class Source(models.TextChoices):
        WIDGET = "widget", _("Website")
        SERVER = "server", _("Business's backend")

    id = models.BigAutoField(primary_key=True)
    contact = models.ForeignKey("inbox.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    visitor_id = models.CharField(max_length=64, blank=True)
    session_id = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    source = models.CharField(max_length=8, choices=Source.choices)
    name = models.CharField(max_length=64)
    url = models.CharField(max_length=2000, blank=True)
    title = models.CharField(max_length=300, blank=True)
    referrer = models.CharField(max_length=2000, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["contact", "-occurred_at"], name="webevent_contact_time"),
            models.Index(fields=["received_at"], name="webevent_received"),
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.occurred_at:%Y-%m-%d %H:%M}"


class JourneySettings(models.Model):
    """The tenant's journey settings (one row)."""

    web_event_retention_days = models.PositiveIntegerField(
        _("keep web events for (days)"),
        default=180,
        help_text=_("Older page views and events are deleted automatically; conversations are kept."),
    )

    # Query-string parameters kept in recorded page addresses (utm_source, say); every other one is
    # dropped before the address is stored, as is the fragment.
    allowed_query_params = ArrayField(models.CharField(max_length=64), default=list, blank=True)

    def __str__(self) -> str:
        return "Journey settings"

    @classmethod
    def current(cls) -> JourneySettings:
        found = cls.objects.order_by("pk").first()
        return found if found is not None else cls()
