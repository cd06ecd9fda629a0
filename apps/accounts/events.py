"""Realtime events of accounts (declared once: apps.core.events)."""

from apps.core.events import declare_event

declare_event(
    "auth.changed",
    {"reason": str},
    app="accounts",
    doc="Something was taken from the user (deactivated, role changed, signed out): their sockets "
    "re-authorise at once; never shown.",
)
