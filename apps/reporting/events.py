"""Realtime events reporting sends (declared once: apps.core.events)."""

from apps.core.events import declare_event

declare_event(
    "wallboard.state",
    {"state": dict},
    app="reporting",
    doc="The wallboard's whole state (queues, agents, today's figures), computed once after a change to "
    "the record or to an agent's presence and sent to every open wallboard of the tenant.",
)
