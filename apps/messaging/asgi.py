"""`POST /hooks/messaging/<channel key>/`, answered on the event loop: providers deliver every
customer message and every delivery status here, retry what is answered slowly, and a busy tenant's
WhatsApp number sends hundreds a second. Django's request cycle (a thread hop, the middleware, the
tenant's search_path, the ORM) costs several milliseconds of CPU a request; this path costs a fraction:

1. the body, at most 1 MB (413);
2. the tenant from the Host header (cached 30 s) and the channel by its key (cached 10 s: a changed
   secret or a switched-off channel applies within 10 s) — 404 for either;
3. the provider's own check and parse (`providers.*.verify` / `parse`, pure Python, on a Django request
   object built from the scope — the same code the Django view runs) — 403 / 400 with the reason;
4. one schema-qualified `INSERT ... ON CONFLICT DO NOTHING` (`apps.core.adb`, autocommit): each event
   once per (channel, provider id), so a provider's retry stores nothing new;
5. the tenant's drain woken (a Redis `SET NX`; the Celery task is queued only by the request that set
   it, on a thread), then the provider's expected answer (`<Response/>`, `success`, 200).

GET (Meta's and WeChat's handshakes) and anything else go through Django (`views.webhook`)."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from typing import Any

from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse
from django.utils.translation import gettext as _
from psycopg import sql
from psycopg.types.json import Jsonb

from apps.core import adb
from apps.core.asgi import read_body, schema_for_host, scope_header

from .models import MessagingChannel
from .providers import ADAPTERS, Event, Refused

logger = logging.getLogger(__name__)
_PATH = re.compile(r"^/hooks/messaging/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/$")
MAX_BODY_BYTES = 1024 * 1024
_CHANNEL_TTL = 10.0
_channels: dict[tuple[str, str], tuple[float, MessagingChannel | None]] = {}


def handles(scope: dict[str, Any]) -> bool:
    return scope.get("type") == "http" and scope.get("method") == "POST" and bool(_PATH.match(scope.get("path", "")))


async def _channel(schema: str, key: str) -> MessagingChannel | None:
    now = time.monotonic()
    hit = _channels.get((schema, key))
    if hit and hit[0] > now:
        return hit[1]
    query = sql.SQL(
        "SELECT id, provider, address, secrets, verify_token, queue_id FROM {} WHERE key = %(k)s AND active"
    ).format(adb.table(schema, "messaging_messagingchannel"))
    row = await adb.fetchone(query, {"k": key})
    found = None
    if row is not None:
        secrets = row[3] if isinstance(row[3], dict) else json.loads(row[3] or "{}")
        found = MessagingChannel(
            id=row[0],
            provider=row[1],
            address=row[2],
            secrets=secrets,
            verify_token=row[4],
            queue_id=row[5],
            key=key,
            active=True,
        )
    if len(_channels) > 10_000:
        _channels.clear()
    _channels[(schema, key)] = (now + _CHANNEL_TTL, found)
    return found


async def store(schema: str, channel_id: int, events: list[Event]) -> None:
    """The events, each once (the table's unique (channel, kind, provider id))."""
    rows = sql.SQL(", ").join(
        sql.SQL("({}, {}, {}, {}, 'pending', '', now())").format(
            sql.Placeholder(f"c{n}"), sql.Placeholder(f"k{n}"), sql.Placeholder(f"p{n}"), sql.Placeholder(f"j{n}")
        )
        for n in range(len(events))
    )
    query = sql.SQL(
        "INSERT INTO {} (channel_id, kind, provider_id, payload, state, error, received_at) VALUES {} "
        "ON CONFLICT DO NOTHING"
    ).format(adb.table(schema, "messaging_inbound"), rows)
    params: dict[str, Any] = {}
    for n, e in enumerate(events):
        params |= {
            f"c{n}": channel_id,
            f"k{n}": e.kind,
            f"j{n}": Jsonb(e.as_json()),
            f"p{n}": e.key(),
        }
    await adb.execute(query, params)


async def _respond(send: Any, response: HttpResponse) -> None:
    headers = [(b"content-type", response.get("Content-Type", "text/plain").encode("latin-1"))]
    body = bytes(response.content)
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


async def handle(scope: dict[str, Any], receive: Any, send: Any) -> None:
    from .tasks import awake

    match = _PATH.match(scope.get("path", ""))
    assert match is not None
    raw = await read_body(receive, MAX_BODY_BYTES)
    if raw is None:
        return await _respond(send, _text(_("The delivery is larger than 1 MB."), 413))
    schema = await schema_for_host(scope_header(scope, b"host"))
    channel = await _channel(schema, match.group(1)) if schema else None
    if schema is None or channel is None:
        return await _respond(send, _text(_("No such channel."), 404))
    adapter = ADAPTERS[channel.provider]
    request = ASGIRequest(scope, io.BytesIO(raw))
    try:
        adapter.verify(channel, request, raw)
        events = adapter.parse(channel, request, raw)
    except Refused as exc:
        return await _respond(send, _text(exc.message, exc.status))
    except DisallowedHost:
        return await _respond(send, _text(_("No such channel."), 404))
    if events:
        await store(schema, int(channel.pk), events)
        await awake(schema)
    return await _respond(send, adapter.ack())
