"""Realtime events the inbox sends (declared once: apps.core.events)."""

from apps.core.events import declare_event

ATTACHMENT = {"id": int, "name": str, "content_type": str, "size": int, "url": str}
MESSAGE = {
    "seq": int,
    "kind": str,
    "body": str,
    "created_at": str,
    "client_id": (str, None),
    "author": ({"id": int, "name": str}, None),
    "attachment?": ATTACHMENT,
}

declare_event(
    "message",
    {"interaction_id": int, "message": MESSAGE},
    app="inbox",
    doc="A message of the conversation, persisted first (to the interaction's group).",
)
declare_event(
    "message.note",
    {"interaction_id": int, "message": MESSAGE},
    app="inbox",
    doc="A private note (to the interaction's agents group only).",
)
declare_event(
    "read",
    {"interaction_id": int, "seq": int, "by": str},
    app="inbox",
    doc="The customer or the agent has read up to `seq`.",
)
declare_event(
    "typing",
    {"interaction_id": int, "by": str, "active": bool, "name?": str},
    app="inbox",
    doc="The customer or the agent is typing (sockets relay it; never stored).",
)
declare_event(
    "interaction.resolved",
    {"interaction_id": int, "csat": bool},
    app="inbox",
    doc="The conversation was resolved; `csat`: the customer may rate it.",
)
declare_event(
    "callback.updated",
    {
        "callback": {
            "id": int,
            "state": str,
            "position": (int, None),
            "attempts": int,
            "next_attempt_at": (str, None),
        }
    },
    app="inbox",
    doc="A callback changed state (requested, queued, dialling, connected, failed, cancelled), with its "
    "position in the queue while it waits (to the groups of its interaction and the one it came from).",
)
