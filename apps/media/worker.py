"""The media worker process: an asyncio loop on the channel layer. It announces itself in Redis
(heartbeat with expiry, read by /healthz) and handles media requests, each inside the tenant whose
schema the message names. Call media (aiortc peers) lives in `engine`: any worker takes a new call
from the shared channel; the call's later messages reach its owner on the owner's own channel."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import time
import uuid
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_exists

from apps.core.errors import ApplicationError
from apps.core.health import media_worker_key
from apps.core.redis import get_redis
from apps.core.tenancy import current_schema, in_tenant

from .engine.engine import CALL_TYPES, MediaEngine
from .protocol import MEDIA_CHANNEL, MEDIA_LAYER, WORKER_CHANNEL_PREFIX

logger = logging.getLogger(__name__)


def _tenant_facts() -> dict[str, Any]:
    """What the worker sees from inside the tenant: proves the schema switch reached the ORM thread."""
    from apps.tenants.models import Tenant

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (db_schema,) = cursor.fetchone()
    tenant = Tenant.objects.get(schema_name=current_schema())
    from apps.accounts.models import User

    return {"current_schema": db_schema, "tenant_name": tenant.name, "users": User.objects.count()}


class MediaWorker:
    def __init__(self) -> None:
        self.id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.layer = get_channel_layer(MEDIA_LAYER)
        self.started = time.time()
        self.channel = ""
        self.engine = MediaEngine(self.id, self.layer, events=get_channel_layer())
        self._tasks: set[asyncio.Task[None]] = set()

    async def heartbeat(self) -> None:
        r = get_redis()
        while True:
            payload = json.dumps({"id": self.id, "seen": time.time(), "started": self.started, "channel": self.channel})
            await asyncio.to_thread(r.set, media_worker_key(self.id), payload, ex=settings.MEDIA_WORKER_TTL_SECONDS)
            await asyncio.sleep(settings.MEDIA_WORKER_HEARTBEAT_SECONDS)

    async def listen(self, channel: str) -> None:
        while True:
            message = await self.layer.receive(channel)
            task = asyncio.create_task(self.handle(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def run(self) -> None:
        main = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, main.cancel)  # type: ignore[union-attr]
        self.channel = await self.layer.new_channel(WORKER_CHANNEL_PREFIX)
        await self.engine.start(self.channel)
        logger.info("Media worker %s listening on %s and %s", self.id, MEDIA_CHANNEL, self.channel)
        background = [
            asyncio.create_task(coro)
            for coro in (
                self.heartbeat(),
                self.engine.upkeep(),
                self.engine.measure_lag(),
                self.listen(MEDIA_CHANNEL),
                self.listen(self.channel),
            )
        ]
        try:
            await asyncio.gather(*background)
        except asyncio.CancelledError:
            logger.info("Media worker %s stopping", self.id)
        finally:
            for task in background:
                task.cancel()
            await self.engine.shutdown()
            await asyncio.to_thread(get_redis().delete, media_worker_key(self.id))

    async def handle(self, message: dict[str, Any]) -> None:
        reply_channel = message.get("reply_channel")
        try:
            reply = await self.dispatch(message)
        except ApplicationError as exc:
            reply = {"type": "media.error", **exc.as_dict(), "call_id": message.get("call_id")}
        except Exception as exc:
            logger.exception("Media request failed: %s", message.get("type"))
            reply = {"type": "media.error", "code": "failed", "message": str(exc), "call_id": message.get("call_id")}
        if reply_channel and reply is not None:
            await self.layer.send(reply_channel, {**reply, "worker": self.id, "schema": message.get("schema")})

    async def dispatch(self, message: dict[str, Any]) -> dict[str, Any] | None:
        mtype = message.get("type")
        if mtype == "media.worker.stats":
            return self.engine.worker_stats(reset=bool(message.get("reset")))
        schema = message.get("schema")
        if not isinstance(schema, str) or not await in_tenant("public", schema_exists, schema):
            return {"type": "media.error", "code": "unknown_tenant", "message": f"No tenant schema {schema!r}."}
        if mtype == "media.ping":
            facts = await in_tenant(schema, _tenant_facts)
            return {"type": "media.pong", **facts}
        if mtype in CALL_TYPES:
            return await self.engine.handle(schema, message)
        return {"type": "media.error", "code": "unknown_type", "message": f"Unknown request {mtype!r}."}
