"""Realtime events the agents app sends (declared once: apps.core.events)."""

from apps.core.events import declare_event

declare_event(
    "agent.state",
    {"agent_id": int, "state": str, "reason": (str, None), "since": str, "until?": str},
    app="agents",
    doc="An agent's presence changed (to their own desktops); `until` ends a wrap-up.",
)
