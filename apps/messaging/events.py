"""Realtime events messaging sends (declared once: apps.core.events)."""

from apps.core.events import declare_event

declare_event(
    "messaging.status",
    {"interaction_id": int, "seq": int, "status": str, "error": str},
    app="messaging",
    doc="The provider's delivery state of an agent's message (sent, delivered, read, failed) changed "
    "(to the interaction's agents group).",
)
