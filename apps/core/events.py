"""Realtime events. Only actions send them, only after the transaction that wrote what they
announce has committed, and the action names the recipients (groups)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .keys import group_name

# The consumer method that relays an event to the socket (see DesktopConsumer.event_relay).
RELAY = "event.relay"


def tenant_group(schema_name: str) -> str:
    return group_name(schema_name, "tenant")


def user_group(schema_name: str, user_id: int) -> str:
    return group_name(schema_name, "user", user_id)


def send_event(schema_name: str, event: dict[str, Any], groups: list[str]) -> None:
    """Send now. Prefer `send_event_on_commit` inside actions."""
    layer = get_channel_layer()
    assert layer is not None
    for group in groups:
        if not group.startswith(f"{schema_name}."):
            raise ValueError(f"Group {group} is not in tenant {schema_name}")
        async_to_sync(layer.group_send)(group, {"type": RELAY, "event": event})


def send_event_on_commit(schema_name: str, event: dict[str, Any], groups: list[str]) -> None:
    transaction.on_commit(lambda: send_event(schema_name, event, groups))
