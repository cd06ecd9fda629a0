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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from .keys import group_name

logger = logging.getLogger(__name__)

# The consumer method that relays an event to the socket (see TenantConsumer.event_relay).
RELAY = "event.relay"
# An event JSON-encoded once by its sender, relayed as text by every socket of the group (`send_event_text`).
RELAY_TEXT = "event.relay_text"
SEND_TIMEOUT_SECONDS = 5.0


# --- declared events ------------------------------------------------------------------------------
# Every realtime event type is declared once, with its payload, by the app that sends it (its
# `events.py`, imported by its AppConfig.ready), as Zulip's event schemas are. The send functions check
# each event against its declaration: with settings.REALTIME_EVENTS_STRICT (the tests) a mismatch
# raises inside the action; in production it is logged and the event still goes (a client that gets
# an odd event is better off than one that misses it). docs/architecture.md lists them (`event_table`).
#
# A payload spec is a dict {field: spec}; a field whose name ends in "?" may be missing. A spec is a
# type (str, int, bool, float, dict: any object, list: any list), a tuple of types/None (any of them),
# a nested payload dict, or a one-item list [spec] (a list of such items). No other field is allowed.


class UndeclaredEvent(Exception):
    """An event whose type is not declared, or whose payload does not match its declaration."""


@dataclass(frozen=True)
class Declared:
    type: str
    fields: dict[str, Any]
    app: str
    doc: str


_DECLARED: dict[str, Declared] = {}
_capture: list[tuple[str, dict[str, Any], list[str]]] | None = None


def declare_event(event_type: str, fields: dict[str, Any], *, app: str, doc: str = "") -> None:
    """Declare `event_type` with its payload (the fields besides "type"). Once per type."""
    known = _DECLARED.get(event_type)
    if known is not None and (known.fields != fields or known.app != app):
        raise ValueError(f"Event {event_type!r} is already declared by {known.app}")
    _DECLARED[event_type] = Declared(event_type, fields, app, doc)


def declared_events() -> dict[str, Declared]:
    return dict(_DECLARED)


def _spec_name(spec: Any) -> str:
    if spec is None:
        return "null"
    if isinstance(spec, type):
        return {str: "string", int: "integer", bool: "boolean", float: "number", dict: "object", list: "list"}.get(
            spec, spec.__name__
        )
    if isinstance(spec, tuple):
        return " | ".join(_spec_name(s) for s in spec)
    if isinstance(spec, list):
        return f"list of {_spec_name(spec[0])}"
    if isinstance(spec, dict):
        return "{" + ", ".join(f"{k}: {_spec_name(v)}" for k, v in spec.items()) + "}"
    return repr(spec)


def _check(value: Any, spec: Any, where: str) -> list[str]:
    if spec is None:
        return [] if value is None else [f"{where}: expected null"]
    if isinstance(spec, tuple):
        for option in spec:
            if not _check(value, option, where):
                return []
        return [f"{where}: expected {_spec_name(spec)}, got {type(value).__name__}"]
    if isinstance(spec, list):
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        return [e for n, item in enumerate(value) for e in _check(item, spec[0], f"{where}[{n}]")]
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        errors = []
        names = {k.rstrip("?") for k in spec}
        for key, sub in spec.items():
            name = key.rstrip("?")
            if name in value:
                errors += _check(value[name], sub, f"{where}.{name}")
            elif not key.endswith("?"):
                errors.append(f"{where}.{name}: missing")
        errors += [f"{where}.{k}: not declared" for k in value if k not in names]
        return errors
    if spec is int and isinstance(value, bool):
        return [f"{where}: expected integer, got bool"]
    if spec is float and isinstance(value, int) and not isinstance(value, bool):
        return []
    return [] if isinstance(value, spec) else [f"{where}: expected {_spec_name(spec)}, got {type(value).__name__}"]


def event_errors(event: dict[str, Any]) -> list[str]:
    """What is wrong with `event` against its declaration ([] when it matches)."""
    event_type = event.get("type") if isinstance(event, dict) else None
    declared = _DECLARED.get(event_type) if isinstance(event_type, str) else None
    if declared is None:
        return [f"event type {event_type!r} is not declared (apps.core.events.declare_event)"]
    payload = {k: v for k, v in event.items() if k != "type"}
    return _check(payload, declared.fields, declared.type)


def check_event(schema_name: str, event: dict[str, Any], groups: list[str]) -> None:
    """Every send function runs each event through here before it goes."""
    if _capture is not None:
        _capture.append((schema_name, event, list(groups)))
    errors = event_errors(event)
    if not errors:
        return
    if getattr(settings, "REALTIME_EVENTS_STRICT", False):
        raise UndeclaredEvent("; ".join(errors))
    logger.error("Realtime event does not match its declaration: %s", "; ".join(errors))


@contextmanager
def capture_events() -> Iterator[list[tuple[str, dict[str, Any], list[str]]]]:
    """Record every event handed to a send function in this process (the tests of events)."""
    global _capture
    previous, _capture = _capture, []
    try:
        yield _capture
    finally:
        _capture = previous


def event_table() -> str:
    """The declared events as a Markdown table (docs/architecture.md)."""
    rows = ["| type | app | payload | what |", "|---|---|---|---|"]
    for d in sorted(_DECLARED.values(), key=lambda d: (d.app, d.type)):
        payload = ", ".join(f"`{k}`: {_spec_name(v)}" for k, v in d.fields.items()) or "(none)"
        payload = payload.replace("|", "or")  # a bar would end the table cell
        rows.append(f"| `{d.type}` | {d.app} | {payload} | {d.doc} |")
    return "\n".join(rows)


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
    for schema_name, event, groups in batch:
        _check_groups(schema_name, groups)
        check_event(schema_name, event, groups)
    _send_checked(batch)


def _check_groups(schema_name: str, groups: list[str]) -> None:
    """A tenant's event goes only to that tenant's groups (checked before anything else)."""
    for group in groups:
        if not group.startswith(f"{schema_name}."):
            raise ValueError(f"Group {group} is not in tenant {schema_name}")


def _send_checked(batch: list[tuple[str, dict[str, Any], list[str]]]) -> None:
    """`send_events` after the events were checked (send_events_on_commit checks them in the action)."""
    messages = []
    for schema_name, event, groups in batch:
        _check_groups(schema_name, groups)
        for group in groups:
            messages.append((group, {"type": RELAY, "event": event}))
    _deliver(messages)


def send_event_text(schema_name: str, event: dict[str, Any], groups: list[str]) -> None:
    """As `send_event`, for a big event to many sockets: checked, then JSON-encoded once here, and each
    socket of the groups sends the text as it is (a board of 100 KB to 100 supervisors: one encoding, and
    a string through the channel layer, instead of a hundred of each). `kind` is the event's type."""
    import json

    _check_groups(schema_name, groups)
    check_event(schema_name, event, groups)
    text = json.dumps(event, separators=(",", ":"))
    _deliver([(group, {"type": RELAY_TEXT, "kind": event["type"], "text": text}) for group in groups])


def _deliver(messages: list[tuple[str, dict[str, Any]]]) -> None:
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
    for event, groups in events:
        check_event(schema_name, event, groups)
        for group in groups:
            if not group.startswith(f"{schema_name}."):
                raise ValueError(f"Group {group} is not in tenant {schema_name}")
    transaction.on_commit(lambda: _send_checked([(schema_name, event, groups) for event, groups in events]))


async def asend_events(schema_name: str, sends: list[tuple[dict[str, Any], list[str]]]) -> None:
    """From async actions whose write has already committed (one autocommit statement): send each
    (event, groups) now, on the caller's loop. The same recipient checks as `send_events`."""
    messages = []
    for event, groups in sends:
        check_event(schema_name, event, groups)
        for group in groups:
            if not group.startswith(f"{schema_name}."):
                raise ValueError(f"Group {group} is not in tenant {schema_name}")
            messages.append((group, {"type": RELAY, "event": event}))
    try:
        await _send_all(messages)
    except Exception:
        logger.exception("Could not deliver %d realtime event(s)", len(messages))
