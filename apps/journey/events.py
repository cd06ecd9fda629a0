"""Realtime events journey sends (declared once: apps.core.events)."""

from apps.core.events import declare_event

declare_event(
    "journey.updated",
    {"contact_id": int},
    app="journey",
    doc="The contact's journey has something new (web visits, site or backend events): the agents viewing "
    "one of the contact's open conversations reload its journey panel.",
)
