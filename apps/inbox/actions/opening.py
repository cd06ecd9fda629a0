"""The one way to open an interaction, whatever its channel: the widget's chats, calls, the API and
the channels to come call `do_open_interaction`. The row and its enqueueing are one transaction, so
a refused enqueue (queue full, closed, tenant suspended) leaves no interaction behind."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.agents.models import AgentProfile, Channel
from apps.core.errors import ValidationFailed
from apps.core.hooks import domain_event_on_commit
from apps.routing.actions import do_enqueue_interaction
from apps.routing.models import Queue

from ..models import Contact, Interaction

MAX_CONTEXT_BYTES = 16 * 1024
# How far back "the agent who helped this customer last" is looked for.
LAST_AGENT_DAYS = 90


def last_agent(contact: Contact, queue: Queue) -> AgentProfile | None:
    """The agent who last handled any of the customer's interactions, on any channel, if they are
    still a member of `queue` (queues that prefer the last agent)."""
    since = timezone.now() - timedelta(days=LAST_AGENT_DAYS)
    agent_id = (
        Interaction.objects.filter(contact=contact, assigned_agent__isnull=False, created_at__gte=since)
        .order_by("-created_at")
        .values_list("assigned_agent_id", flat=True)
        .first()
    )
    if agent_id is None:
        return None
    return queue.members.filter(pk=agent_id).first()


def do_open_interaction(
    *,
    channel: str,
    queue: Queue,
    contact: Contact | None = None,
    priority: int = 0,
    attributes: Any = None,
    context: dict[str, Any] | None = None,
    page: dict[str, Any] | None = None,
    subject: str = "",
    preferred_agent: AgentProfile | None = None,
    case_id: uuid.UUID | None = None,
    direction: str = Interaction.Direction.INBOUND,
    status: str = Interaction.Status.OPEN,
    allow_closed: bool = False,
) -> Interaction:
    """Create an interaction in `channel` for `contact` and put it in `queue` (routing starts after
    commit). Raises the enqueue's refusal (QueueClosed, QueueFull, RoutingSuspended) with nothing
    written. `allow_closed` puts it in a closed queue anyway (a message left out of hours waits
    there for the team)."""
    if channel not in Channel.values:
        raise ValidationFailed(
            _("Unknown channel."),
            fields={"channel": [_("Choose one of: %(c)s.") % {"c": ", ".join(Channel.values)}]},
        )
    if preferred_agent is None and contact is not None and queue.prefer_last_agent:
        preferred_agent = last_agent(contact, queue)
    if direction not in Interaction.Direction.values:
        raise ValidationFailed(_("Unknown direction."), fields={"direction": [_("Inbound or outbound.")]})
    with transaction.atomic():
        interaction = Interaction.objects.create(
            channel=channel,
            direction=direction,
            contact=contact,
            context=context or {},
            page=page or {},
            subject=subject[:200],
            case_id=case_id or uuid.uuid4(),
            queue=queue,
            status=status,
        )
        domain_event_on_commit("interaction.created", interaction_id=interaction.pk)
        return do_enqueue_interaction(
            channel=channel,
            queue=queue,
            priority=priority,
            attributes=attributes,
            preferred_agent=preferred_agent,
            subject=subject,
            interaction=interaction,
            allow_closed=allow_closed,
        )
