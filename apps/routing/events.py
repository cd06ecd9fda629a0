"""Realtime events the routing app sends (declared once: apps.core.events)."""

from apps.core.events import declare_event

declare_event(
    "assignments.changed",
    {},
    app="routing",
    doc="The set of conversations assigned to the user changed: the desktop re-follows and reloads its list.",
)
declare_event(
    "interaction.queued",
    {"interaction_id": int, "queue": str},
    app="routing",
    doc="The interaction is waiting in a queue (to the interaction's group).",
)
declare_event(
    "offer.created",
    {
        "offer": {
            "id": int,
            "interaction_id": int,
            "channel": str,
            "expires_at": str,
            "queue": str,
            "subject": str,
            "attributes": dict,
        }
    },
    app="routing",
    doc="An interaction rings on this agent's desktop.",
)
declare_event(
    "interaction.offered",
    {"interaction_id": int},
    app="routing",
    doc="The interaction is ringing on an agent's desktop (to the interaction's group).",
)
declare_event(
    "offer.ended",
    {"offer_id": int, "status": str, "interaction_id": int},
    app="routing",
    doc="An offer stopped ringing: accepted, rejected, timed out or cancelled.",
)
declare_event(
    "interaction.assigned",
    {"interaction_id": int, "agent": {"id": int, "name": str}},
    app="routing",
    doc="An agent took the interaction (to the interaction's group: the customer sees who).",
)
declare_event(
    "interaction.callback_offered",
    {"interaction_id": int},
    app="routing",
    doc="The queue overflowed to a callback: the customer may leave a number.",
)
