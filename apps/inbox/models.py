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
from django.utils.translation import gettext_lazy as _

from apps.agents.models import Channel


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

    channel = models.CharField(max_length=16, choices=Channel.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    subject = models.CharField(max_length=200, blank=True)
    # The customer problem this belongs to, shared by interactions across channels.
    case_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

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
    # Serving order inside the queue: priority + aging x minutes waited, which (one aging rate per
    # queue) orders the same as this time-free key. Set by the routing actions; see engine.sort_key.
    sort_key = models.FloatField(default=0.0)
    assigned_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes: ClassVar[list[Any]] = [
            models.Index(
                fields=["queue", "enqueued_at"], name="interaction_waiting", condition=models.Q(routing_status="queued")
            ),
            models.Index(
                fields=["queue", "-sort_key", "enqueued_at"],
                name="interaction_pick",
                condition=models.Q(routing_status="queued"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"
