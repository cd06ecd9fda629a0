"""Reads of the media app, for the signaling consumers and the desktop."""

from __future__ import annotations

from typing import Any

from .engine import leases
from .models import Recording


def call_media_owner(schema_name: str, call_id: str) -> dict[str, Any] | None:
    """The media worker holding the call: {"worker", "channel"}, or None when no live worker does
    (never started, ended, or its worker died: then `call.media_lost` was or will be published)."""
    lease = leases.read(schema_name, call_id)
    return None if lease is None else {"worker": lease.worker, "channel": lease.channel}


def is_call_media_alive(schema_name: str, call_id: str) -> bool:
    return leases.read(schema_name, call_id) is not None


def recording_for_call(call_id: str) -> Recording | None:
    """Precondition: the connection is on the tenant's schema."""
    return Recording.objects.filter(call_id=call_id).first()
