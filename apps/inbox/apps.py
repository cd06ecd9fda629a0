import logging
from datetime import datetime
from typing import Any

from django.apps import AppConfig

logger = logging.getLogger(__name__)


def on_agent_state_recorded(agent_id: int, old_state: str, new_state: str, at: datetime) -> None:
    """Wrap-up ended (timer, the agent, or going away/offline): the agent's after-contact work
    segments end at that instant, in the state change's transaction."""
    from apps.agents.models import AgentState

    from .models import Segment

    if old_state == AgentState.WRAP_UP and new_state != AgentState.WRAP_UP:
        for interaction_id in Segment.objects.filter(
            kind=Segment.Kind.ACW, agent_id=agent_id, ended_at__isnull=True
        ).values_list("interaction_id", flat=True):
            from .record import close_segments

            close_segments(interaction_id, Segment.Kind.ACW, Segment.Outcome.COMPLETED, at=at, agent_id=agent_id)


def on_domain_event(event: str, payload: dict[str, Any]) -> None:
    """Callbacks follow their conversation: dialling once an agent accepted it, over once it is resolved.
    Never raises: the other receivers of the event (webhooks) still get it."""
    from .actions import callbacks

    handler = {
        "interaction.assigned": callbacks.on_interaction_assigned,
        "interaction.resolved": callbacks.on_interaction_resolved,
    }.get(event)
    if handler is None:
        return
    try:
        handler(payload["interaction_id"])
    except Exception:
        logger.exception("The callback of interaction %s did not follow %s", payload.get("interaction_id"), event)


def on_callback_timer(callback_id: int) -> None:
    from .actions.callbacks import do_callback_due

    do_callback_due(callback_id)


class InboxConfig(AppConfig):
    name = "apps.inbox"
    label = "inbox"

    def ready(self) -> None:
        from apps.core.hooks import register_hook

        from . import events  # noqa: F401  (declares the inbox's realtime events)

        register_hook("agent_state_recorded", on_agent_state_recorded)
        register_hook("domain_event", on_domain_event)

        from apps.core.timers import register_timer

        register_timer("callback", on_callback_timer)
