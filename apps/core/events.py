"""Realtime events. Only actions send them, only after the transaction that wrote what they
announce has committed, and the action names the recipients (groups).

Sending goes through one event loop per process, kept on a background thread: `async_to_sync` would
build a new loop for each call, and channels_redis a new Redis connection pool for each loop, which
made every event cost a fresh connection (~7 ms; now well under 1 ms)."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from .keys import group_name

logger = logging.getLogger(__name__)

# The consumer method that relays an event to the socket (see TenantConsumer.event_relay).
RELAY = "event.relay"
SEND_TIMEOUT_SECONDS = 5.0


def tenant_group(schema_name: str) -> str:
    return group_name(schema_name, "tenant")


def user_group(schema_name: str, user_id: int) -> str:
    return group_name(schema_name, "user", user_id)


class _Sender:
    """A private event loop on a daemon thread; restarted in a forked child."""

    def __init__(self) -> None:
        self.pid = -1
        self.loop: asyncio.AbstractEventLoop | None = None
        self.lock = threading.Lock()

    def get_loop(self) -> asyncio.AbstractEventLoop:
        with self.lock:
            if self.loop is None or self.pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="event-sender", daemon=True).start()
                self.loop, self.pid = loop, os.getpid()
            return self.loop


_sender = _Sender()


async def _send_all(messages: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    assert layer is not None
    await asyncio.gather(*(layer.group_send(group, message) for group, message in messages))


def send_events(batch: list[tuple[str, dict[str, Any], list[str]]]) -> None:
    """Send each (schema, event, groups) now. Prefer `send_event_on_commit` inside actions."""
    messages = []
    for schema_name, event, groups in batch:
        for group in groups:
            if not group.startswith(f"{schema_name}."):
                raise ValueError(f"Group {group} is not in tenant {schema_name}")
            messages.append((group, {"type": RELAY, "event": event}))
    if not messages:
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    loop = _sender.get_loop()
    if running is loop:  # pragma: no cover - never called from the sender itself
        raise RuntimeError("send_events called on the sender loop")
    future = asyncio.run_coroutine_threadsafe(_send_all(messages), loop)
    try:
        future.result(SEND_TIMEOUT_SECONDS)
    except Exception:
        # What was announced is committed; clients catch up from the database when they reconnect.
        logger.exception("Could not deliver %d realtime event(s)", len(messages))


def send_event(schema_name: str, event: dict[str, Any], groups: list[str]) -> None:
    send_events([(schema_name, event, groups)])


def send_event_on_commit(schema_name: str, event: dict[str, Any], groups: list[str]) -> None:
    send_events_on_commit(schema_name, [(event, groups)])


def send_events_on_commit(schema_name: str, events: list[tuple[dict[str, Any], list[str]]]) -> None:
    """Several (event, groups) of one action: handed to the sender loop together after commit, in
    one wait instead of one per event. The recipients are checked now, so a wrong one fails the
    action, not a callback after commit."""
    for _event, groups in events:
        for group in groups:
            if not group.startswith(f"{schema_name}."):
                raise ValueError(f"Group {group} is not in tenant {schema_name}")
    transaction.on_commit(lambda: send_events([(schema_name, event, groups) for event, groups in events]))


async def asend_events(schema_name: str, sends: list[tuple[dict[str, Any], list[str]]]) -> None:
    """From async actions whose write has already committed (one autocommit statement): send each
    (event, groups) now, on the caller's loop. The same recipient checks as `send_events`."""
    messages = []
    for event, groups in sends:
        for group in groups:
            if not group.startswith(f"{schema_name}."):
                raise ValueError(f"Group {group} is not in tenant {schema_name}")
            messages.append((group, {"type": RELAY, "event": event}))
    try:
        await _send_all(messages)
    except Exception:
        logger.exception("Could not deliver %d realtime event(s)", len(messages))
