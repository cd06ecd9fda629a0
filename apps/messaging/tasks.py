"""Messaging's background work, on its own queue ("messaging": the Procfile's worker takes it).

The webhook only stores what the provider delivered and wakes a *drain* of the tenant's pending rows:
one drain at a time per tenant (a Redis lock) takes them in arrival order, so a customer's messages
reach the inbox in the order they were sent, and a thousand deliveries a second cost one task, not a
thousand. A beat sweep wakes the drain of any tenant whose rows wait too long (a lost wake-up).
Sending retries with backoff while the provider cannot take it; when it gives up, the agent sees why."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import redis
from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.core.redis import get_redis
from apps.core.tasks import enqueue_in_tenant
from apps.core.tenancy import current_schema
from apps.routing.actions import QueueFull, RoutingSuspended

logger = logging.getLogger(__name__)

TRANSIENT_DB = (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError)
BATCH = 100
WAKE_TTL_SECONDS = 30


def _flag(schema: str) -> str:
    return f"messaging:drain-wanted:{schema}"


def wake(schema: str) -> None:
    """Ask for a drain of `schema`'s pending deliveries, unless one is already asked for."""
    if get_redis().set(_flag(schema), 1, nx=True, ex=WAKE_TTL_SECONDS):
        enqueue_in_tenant(schema, drain)


# A web process that found the tenant's drain asked for skips Redis for this long; the drain looks once
# more this long after it cleared its flag, so a row stored meanwhile is still taken.
WAKE_MEMO_SECONDS = 0.5
_woken_until: dict[str, float] = {}


async def awake(schema: str) -> None:
    """`wake` for the event loop (the webhook's fast path): at most one Redis check per tenant each
    WAKE_MEMO_SECONDS, the rare enqueue on a thread."""
    from apps.core.redis import get_async_redis
    from apps.core.tasks import aenqueue_in_tenant

    now = time.monotonic()
    if _woken_until.get(schema, 0.0) > now:
        return
    if await get_async_redis().set(_flag(schema), 1, nx=True, ex=WAKE_TTL_SECONDS):
        await aenqueue_in_tenant(schema, drain)
    if len(_woken_until) > 10_000:
        _woken_until.clear()
    _woken_until[schema] = now + WAKE_MEMO_SECONDS


def on_message_posted(interaction_id: int, message_id: int, channel: str) -> None:
    """inbox's `message_posted` hook: an agent's message on a messaging conversation is sent."""
    if channel == "messaging":
        send.delay(message_id)


@shared_task(
    name="messaging.drain",
    bind=True,
    max_retries=None,
    acks_late=True,
    autoretry_for=TRANSIENT_DB,
    retry_backoff=2,
    retry_backoff_max=60,
)
def drain(self) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from .models import Inbound

    schema = current_schema()
    client = get_redis()
    lock = client.lock(f"messaging:drain-lock:{schema}", timeout=300)
    if not lock.acquire(blocking=False):
        raise self.retry(countdown=1)  # the running drain may have looked for rows just before ours came
    done = 0
    try:
        while True:
            ids = list(
                Inbound.objects.filter(state=Inbound.State.PENDING).order_by("id").values_list("id", flat=True)[:BATCH]
            )
            if not ids:
                client.delete(_flag(schema))
                # A webhook that saw the flag a moment ago did not ask again (awake's memo): look once
                # more after the memo has run out, then stop.
                time.sleep(WAKE_MEMO_SECONDS)
                if not Inbound.objects.filter(state=Inbound.State.PENDING).exists():
                    break
                client.set(_flag(schema), 1, ex=WAKE_TTL_SECONDS)
                continue
            for inbound_id in ids:
                try:
                    process(inbound_id)
                except (QueueFull, RoutingSuspended) as exc:
                    logger.info("messaging: routing cannot take messages now (%s); later", exc)
                    raise self.retry(countdown=30) from exc
                done += 1
                lock.extend(300, replace_ttl=True)
    finally:
        lock.release()
    return {"processed": done}


def process(inbound_id: int) -> str:
    """One stored delivery into the inbox (a message) or onto our message (a status). Files are
    fetched before the transaction; a broken delivery is marked failed, never retried for ever."""
    from .actions import Fetched, do_receive_message, do_record_status
    from .models import Inbound
    from .providers import ADAPTERS, Event, Permanent, Transient

    inbound = Inbound.objects.select_related("channel__queue").filter(pk=inbound_id).first()
    if inbound is None or inbound.state != Inbound.State.PENDING:
        return "gone"
    try:
        event = Event.from_json(inbound.payload)
    except (TypeError, ValueError) as exc:
        Inbound.objects.filter(pk=inbound_id).update(state=Inbound.State.FAILED, error=str(exc)[:500])
        return "failed"
    files = []
    if event.kind == "message":
        adapter = ADAPTERS[inbound.channel.provider]
        for media in event.media[:10]:
            try:
                data, kind = adapter.fetch_media(inbound.channel, media)
                files.append(
                    Fetched(media.name or _file_name(media.content_type or kind), media.content_type or kind, data)
                )
            except (Permanent, Transient) as exc:
                files.append(Fetched(media.name, media.content_type, None, str(exc)))
    try:
        with transaction.atomic():
            locked = Inbound.objects.select_for_update().filter(pk=inbound_id, state=Inbound.State.PENDING).first()
            if locked is None:
                return "gone"
            if event.kind == "message":
                do_receive_message(locked, event, files)
            else:
                do_record_status(locked, event)
            locked.state = Inbound.State.DONE
            locked.save(update_fields=["state"])
    except (QueueFull, RoutingSuspended, *TRANSIENT_DB):
        raise
    except Exception as exc:  # a delivery we cannot file: kept, marked, and the drain goes on
        logger.exception("messaging: delivery %s could not be filed", inbound_id)
        Inbound.objects.filter(pk=inbound_id).update(state=Inbound.State.FAILED, error=str(exc)[:500])
        return "failed"
    return "done"


def _file_name(content_type: str) -> str:
    import mimetypes

    return "file" + (mimetypes.guess_extension(content_type or "") or "")


@shared_task(name="messaging.sweep")
def sweep() -> dict[str, int]:
    """Beat: wake the drain of every tenant with deliveries waiting more than a few seconds."""
    from apps.tenants.selectors import customer_schemas

    from .models import Inbound

    woken: dict[str, int] = {}
    stale = timezone.now() - timedelta(seconds=20)
    for schema in customer_schemas():
        with schema_context(schema):
            count = Inbound.objects.filter(state=Inbound.State.PENDING, received_at__lt=stale).count()
        if count:
            get_redis().delete(_flag(schema))
            wake(schema)
            woken[schema] = count
    return woken


@shared_task(name="messaging.send", bind=True, max_retries=6, acks_late=True, autoretry_for=TRANSIENT_DB)
def send(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    from .outbound import Transient, send_message

    try:
        return send_message(message_id, attempt=self.request.retries + 1)
    except Transient as exc:
        if self.request.retries >= self.max_retries:
            from .outbound import give_up

            return give_up(message_id, str(exc))
        raise self.retry(exc=exc, countdown=min(600, 5 * 2**self.request.retries)) from exc
