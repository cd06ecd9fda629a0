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
            # The business's backend events (no visit): the timeline reads them newest first.
            models.Index(
                fields=["contact", "-occurred_at"], name="webevent_backend_time", condition=models.Q(session_id="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.occurred_at:%Y-%m-%d %H:%M}"


# How a visit's figures come from its events, in SQL over rows named `e` (one place for the live
# upsert in `journey.asgi` and the recount in `actions.do_rebuild_web_sessions`): started_at,
# ended_at, pages, events, cart_value (the last numeric `value` of an event named `cart`), cart_at.
_CART = "e.name = 'cart' AND jsonb_typeof(e.properties -> 'value') = 'number'"
VISIT_AGGREGATES = (
    "min(e.occurred_at), max(e.occurred_at), count(*) FILTER (WHERE e.kind = 'page'), "
    "count(*) FILTER (WHERE e.kind = 'event'), "
    f"(array_agg((e.properties ->> 'value')::float ORDER BY e.occurred_at DESC) FILTER (WHERE {_CART}))[1], "
    f"max(e.occurred_at) FILTER (WHERE {_CART})"
)


class WebSession(models.Model):
    """One visit of a contact to the website, kept up to date by the same statement that stores its
    events (`journey.asgi`): the timeline reads visits from here instead of grouping every event of
    the contact (50,000 events: one row per visit instead of a scan of them all). A visit that
    continues after the visitor was merged into another contact has a row on each."""

    id = models.BigAutoField(primary_key=True)
    contact = models.ForeignKey("inbox.Contact", on_delete=models.CASCADE, related_name="+")
    session_id = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    pages = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    # The last value of an event named `cart` with a numeric `value`, and when it was reported.
    cart_value = models.FloatField(null=True, blank=True)
    cart_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["contact", "session_id"], name="websession_once_per_contact"),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["contact", "-started_at"], name="websession_contact_start"),
        ]

    def __str__(self) -> str:
        return f"visit {self.session_id}"


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
