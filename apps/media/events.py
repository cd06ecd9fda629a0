"""Realtime events of calls (declared once: apps.core.events)."""

from apps.core.events import declare_event

PARTY = {"party": str, "role": str, "name": str, "joined": bool, "muted": bool, "sharing": bool}
CALL = {
    "call_id": str,
    "interaction_id": int,
    "mode": str,
    "state": str,
    "recorded": bool,
    "parties": [PARTY],
    "answered_at": (str, None),
    "ended_at": (str, None),
    "ended_by": str,
    "end_reason": str,
}

declare_event(
    "call.updated",
    {"change": str, "call": CALL, "party?": str},
    app="media",
    doc="The call's state after a change (answered, held, resumed, mode, muted, invited, joined, left, "
    "transferred, ended), to every party.",
)
declare_event(
    "call.invited",
    {"call": CALL, "by": str, "customer": str},
    app="media",
    doc="An agent is invited into a call (warm transfer, conference): their desktop rings with Join.",
)
declare_event(
    "call.signal",
    {"call_id": str, "from": str, "description?": dict, "candidate?": (dict, None)},
    app="media",
    doc="WebRTC signaling relayed from one party to another (checked first).",
)
declare_event(
    "call.media_lost",
    {"call_id": str, "reason": str},
    app="media",
    doc="The media worker that owned the call died or stopped (from the worker).",
)
declare_event(
    "call.recording_ready",
    {
        "call_id": str,
        "recording": {
            "id": int,
            "name": str,
            "duration": (float, None),
            "size": int,
            "streams": (list, dict),
            "complete": bool,
        },
    },
    app="media",
    doc="The call's recording is stored (from the worker).",
)
