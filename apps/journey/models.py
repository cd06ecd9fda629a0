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


class EngagementRule(models.Model):
    """Proactive engagement: when a website visitor matches `expression` (the routing expression
    language over page, session, cart and contact facts), the widget invites them to chat or to call
    in the browser, if the capacity condition holds. See `journey.engagement`."""

    class Action(models.TextChoices):
        CHAT = "chat", _("Invite to chat")
        VOICE = "voice", _("Offer a voice call in the browser")
        VIDEO = "video", _("Offer a video call in the browser")

    class Capacity(models.TextChoices):
        ALWAYS = "always", _("Always")
        AGENT_AVAILABLE = "agent_available", _("Only when an agent of the queue is available")
        SHORT_WAIT = "short_wait", _("Only when the estimated wait is short")

    name = models.CharField(_("name"), max_length=80, unique=True)
    enabled = models.BooleanField(_("active"), default=True)
    # Lower first: the first matching rule of a check invites.
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    expression = models.CharField(_("when"), max_length=1000)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices, default=Action.CHAT)
    message = models.CharField(_("invitation text"), max_length=200)
    # Where the conversation goes; none: the widget key's queue.
    queue = models.ForeignKey(
        "routing.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("queue")
    )
    capacity = models.CharField(_("capacity"), max_length=16, choices=Capacity.choices, default=Capacity.ALWAYS)
    max_wait_seconds = models.PositiveIntegerField(_("longest estimated wait (seconds)"), null=True, blank=True)
    # An event the site sends when the visitor did what the business wanted (an order): counted as a
    # conversion of an invitation shown to that visitor in the week before.
    conversion_event = models.CharField(_("conversion event"), max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("priority", "id")

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    """One invitation shown to a website visitor, and what became of it."""

    id = models.BigAutoField(primary_key=True)
    rule = models.ForeignKey(EngagementRule, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey("inbox.Contact", on_delete=models.CASCADE, related_name="+")
    visitor_id = models.CharField(max_length=64)
    session_id = models.CharField(max_length=64)
    # The facts the rule named when it matched: why the customer was invited (the agent sees them).
    facts = models.JSONField(default=dict, blank=True)
    shown_at = models.DateTimeField(default=timezone.now)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    interaction = models.ForeignKey(
        "inbox.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["visitor_id", "session_id", "rule"], name="invitation_once_per_visit"),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["visitor_id", "-shown_at"], name="invitation_visitor_time"),
            models.Index(fields=["rule", "-shown_at"], name="invitation_rule_time"),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} ({self.rule_id})"
