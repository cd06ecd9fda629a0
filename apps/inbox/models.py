"""Interactions: one routable piece of work in one channel (a chat, a call, an email thread, a
callback request). The inbox owns them; the routing engine moves them through queue → offer →
assignment using the routing columns below."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.agents.models import Channel


class Contact(models.Model):
    """A customer, with every identity they have shown in any channel."""

    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when this contact was merged into another; its interactions and identities moved there.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return self.name or self.email or self.phone or gettext("Visitor %(number)s") % {"number": self.pk}


class ContactIdentity(models.Model):
    """One way a contact has been recognised. `verified` identities were proven: signed by the
    business (the widget's identity token), issued by us (the widget's signed visitor token) or
    entered by an agent. Only verified identities find a contact; an unverified one (an email typed
    into the widget's pre-chat form) is only remembered on the contact that typed it, so a visitor
    can never claim another customer's contact, see their name or have their conversation filed
    under them. A verified identity belongs to one contact; an unverified one may appear on several."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        VISITOR = "visitor", _("Web visitor")
        EXTERNAL = "external", _("Customer id")
        MESSAGING = "messaging", _("Messaging id")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=254)
    verified = models.BooleanField(_("verified"), default=False)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["kind", "value"], condition=models.Q(verified=True), name="verified_identity_once"
            ),
            models.UniqueConstraint(fields=["contact", "kind", "value"], name="identity_once_per_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Disposition(models.Model):
    """A wrap-up code an agent picks when resolving."""

    name = models.CharField(_("name"), max_length=80, unique=True)

    def __str__(self) -> str:
        return self.name


class CannedResponse(models.Model):
    shortcut = models.SlugField(_("shortcut"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    # May use {{ customer.name }}, {{ customer.first_name }}, {{ agent.name }}.
    body = models.TextField(_("text"), max_length=4000)

    def __str__(self) -> str:
        return f"/{self.shortcut}"


class Interaction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        SNOOZED = "snoozed", _("Snoozed")
        RESOLVED = "resolved", _("Resolved")

    class RoutingStatus(models.TextChoices):
        QUEUED = "queued", _("Waiting in queue")
        OFFERED = "offered", _("Offered to an agent")
        ASSIGNED = "assigned", _("With an agent")
        COMPLETED = "completed", _("Completed")
        OVERFLOWED = "overflowed", _("Overflowed")
        CALLBACK = "callback", _("Callback offered")
        ABANDONED = "abandoned", _("Abandoned")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    channel = models.CharField(max_length=16, choices=Channel.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.INBOUND)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    subject = models.CharField(max_length=200, blank=True)
    # The customer problem this belongs to, shared by interactions across channels.
    case_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions")
    labels = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    # What the customer was doing, as their business's server signed it (cart, order, page), and
    # the unsigned page they were on.
    context = models.JSONField(default=dict, blank=True)
    page = models.JSONField(default=dict, blank=True)
    last_seq = models.PositiveIntegerField(default=0)
    # The assignee has read the conversation up to this seq (their desktop's `read` frames): customer
    # messages after it are unread in their inbox list, across reloads.
    agent_read_seq = models.PositiveIntegerField(default=0)
    disposition = models.ForeignKey(Disposition, null=True, blank=True, on_delete=models.SET_NULL)
    resolution_note = models.TextField(blank=True, max_length=4000)
    resolved_at = models.DateTimeField(null=True, blank=True)
    csat_score = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_comment = models.TextField(blank=True, max_length=2000)
    csat_at = models.DateTimeField(null=True, blank=True)  # when the customer rated (reports book it there)
    # The first reply an agent wrote to the customer (reports' first response time books it there).
    first_response_at = models.DateTimeField(null=True, blank=True)

    # Routing
    queue = models.ForeignKey(
        "routing.Queue", null=True, blank=True, on_delete=models.PROTECT, related_name="interactions"
    )
    routing_status = models.CharField(max_length=16, choices=RoutingStatus.choices, default=RoutingStatus.QUEUED)
    priority = models.IntegerField(default=0)
    enqueued_at = models.DateTimeField(default=timezone.now)
    # When the queue's routing steps start counting (after the preferred-agent wait, if any).
    steps_start_at = models.DateTimeField(default=timezone.now)
    preferred_agent = models.ForeignKey(
        "agents.AgentProfile", null=True, blank=True, on_delete=models.SET_NULL, related_name="preferred_interactions"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_interactions"
    )
    assigned_agent = models.ForeignKey(
        "agents.AgentProfile", null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_interactions"
    )
    # Agents who declined or let an offer of this interaction time out; not offered it again.
    declined_agent_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes: ClassVar[list[Any]] = [
            models.Index(
                fields=["queue", "enqueued_at"], name="interaction_waiting", condition=models.Q(routing_status="queued")
            ),
            # A customer's history, newest first (the journey, the desktop's previous conversations).
            models.Index(fields=["contact", "-created_at"], name="interaction_contact_time"),
            # Reporting finds resolutions, ratings and new contacts since its last roll-up.
            models.Index(fields=["resolved_at"], name="interaction_resolved"),
            models.Index(fields=["created_at"], name="interaction_created"),
            models.Index(fields=["csat_at"], name="interaction_csat"),
            models.Index(fields=["first_response_at"], name="interaction_first_response"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"


class Message(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        NOTE = "note", _("Private note")
        SYSTEM = "system", _("System")

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField(blank=True)
    attachment = models.ForeignKey("Attachment", null=True, blank=True, on_delete=models.SET_NULL)
    client_id = models.CharField(max_length=64, blank=True)  # lets a client recognise its own echo
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["interaction", "seq"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["interaction", "seq"], name="message_seq_once"),
        ]

    def __str__(self) -> str:
        return f"{self.interaction_id}#{self.seq}"


def attachment_path(instance: Attachment, filename: str) -> str:
    from django.db import connection

    return f"{getattr(connection, 'schema_name', 'public')}/attachments/{instance.interaction_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Segment(models.Model):
    """One entry of an interaction's record: what happened to it, from when to when, and how it
    ended. Append-only: a segment is inserted when its part begins (or, for offers and transfers,
    when it is over) and later only gets its end, outcome and final figures; none is deleted or
    rewritten. Written by the actions, in the transaction of the change they record (see
    `apps.inbox.record`); journey, reporting, quality and WFM read only these."""

    class Kind(models.TextChoices):
        QUEUE = "queue", _("Queue")
        OFFER = "offer", _("Offer")
        HANDLING = "handling", _("Handling")
        HOLD = "hold", _("Hold")
        ACW = "acw", _("After-contact work")
        TRANSFER = "transfer", _("Transfer")
        FLOW = "flow", _("Flow")
        CALLBACK = "callback", _("Callback")

    class Outcome(models.TextChoices):
        # queue
        ANSWERED = "answered", _("Answered")
        ABANDONED = "abandoned", _("Abandoned")
        FLOWED_OUT = "flowed_out", _("Flowed out")
        CALLBACK_REQUESTED = "callback_requested", _("Callback requested")
        TRANSFERRED = "transferred", _("Transferred")
        CLOSED = "closed", _("Closed while waiting")
        # offer
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        TIMED_OUT = "timed_out", _("Timed out")
        CANCELLED = "cancelled", _("Cancelled")
        # handling, hold, acw
        COMPLETED = "completed", _("Completed")
        LEFT = "left", _("Left the call")
        RESUMED = "resumed", _("Resumed")
        ENDED = "ended", _("Ended")
        # transfer
        BLIND = "blind", _("Blind transfer")
        WARM = "warm", _("Warm transfer")
        # callback (one per dialling attempt; cancelled when the customer withdrew it)
        CONNECTED = "connected", _("Connected")
        NO_ANSWER = "no_answer", _("No answer")
        FAILED = "failed", _("Failed")

    Direction = Interaction.Direction

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="segments")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.INBOUND)
    queue = models.ForeignKey("routing.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    agent = models.ForeignKey(
        "agents.AgentProfile", null=True, blank=True, on_delete=models.SET_NULL, related_name="segments"
    )
    outcome = models.CharField(max_length=24, choices=Outcome.choices, blank=True)
    # The offer a segment of kind offer records (no foreign key: the record outlives routing rows).
    offer_id = models.BigIntegerField(null=True, blank=True)
    # Kind-specific figures: handling {talk_seconds, hold_seconds, role}, queue {wait_seconds},
    # transfer {from_agent, to_agent, to_queue}, hold {by}.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["interaction", "started_at", "pk"]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["interaction", "kind"], name="segment_interaction_kind"),
            models.Index(fields=["started_at"], name="segment_started"),
            models.Index(fields=["agent", "started_at"], name="segment_agent_started"),
            # Reporting finds what changed since its last roll-up: segments that began or ended since.
            models.Index(fields=["ended_at"], name="segment_ended"),
            models.Index(
                fields=["interaction", "kind"], name="segment_open", condition=models.Q(ended_at__isnull=True)
            ),
        ]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="segment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.interaction_id} ({self.outcome or 'open'})"

    @property
    def seconds(self) -> float | None:
        return (self.ended_at - self.started_at).total_seconds() if self.ended_at else None


class Callback(models.Model):
    """A customer asked to be called back (widget, API, a queue's callback overflow). It waits as a
    voice interaction (outbound, subject "Callback") in its queue with the enqueue time of the
    conversation it came from, so it keeps the customer's place; an agent accepts it and dials the
    customer. States: requested (scheduled, or waiting for its next attempt) -> queued (its
    interaction waits or rings) -> dialling (an agent accepted it) -> connected | failed |
    cancelled. See `apps.inbox.actions.callbacks`."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        QUEUED = "queued", _("Queued")
        DIALLING = "dialling", _("Dialling")
        CONNECTED = "connected", _("Connected")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE_STATES: ClassVar[tuple[str, ...]] = ("requested", "queued", "dialling")

    state = models.CharField(max_length=16, choices=State.choices, default=State.REQUESTED)
    phone = models.CharField(_("phone (E.164)"), max_length=20)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks")
    queue = models.ForeignKey("routing.Queue", on_delete=models.PROTECT, related_name="callbacks")
    # The callback's own interaction (made when it is first due), and the one it came from.
    interaction = models.OneToOneField(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="callback"
    )
    source_interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks_requested"
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    # Its place in the queue: the enqueue time it keeps on every attempt.
    place_at = models.DateTimeField(default=timezone.now)
    priority = models.IntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    retry_delay_seconds = models.PositiveIntegerField(default=300)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            # One active callback per number and queue, whatever the interleaving of requests.
            models.UniqueConstraint(
                fields=["phone", "queue"],
                condition=models.Q(state__in=("requested", "queued", "dialling")),
                name="one_active_callback_per_phone_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"Callback {self.pk} ({self.state})"
