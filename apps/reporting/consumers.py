"""The wallboard's WebSocket (`/ws/wallboard/`): supervisors and up. It sends the whole state when it
opens, then each state the roll-up of changes publishes to the tenant's wallboard group (computed once
per change for every open wallboard: no socket asks the database on its own). The page ticks waits
and times in state itself. Signed-in checks, and their re-checks while open: accounts' SignedInConsumer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from apps.accounts.consumers import CLOSE_ACCESS_CHANGED, CLOSE_FORBIDDEN, SignedInConsumer
from apps.core.redis import get_async_redis
from apps.core.tenancy import in_tenant

from .actions import WALLBOARD_WATCH_SECONDS, wallboard_group, wallboard_watch_key
from .selectors import realtime_state

SUPERVISORS = {"owner", "admin", "supervisor"}
logger = logging.getLogger(__name__)


class WallboardConsumer(SignedInConsumer):
    async def connect(self) -> None:
        if not await self.sign_in():
            return
        if self.user.role not in SUPERVISORS:
            await self.sign_out()
            await self.refuse(CLOSE_FORBIDDEN)
            return
        group = wallboard_group(self.schema_name)
        self.groups_joined.append(group)
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        # Changes are computed for the tenant's wallboards only while one is open: say so, and keep
        # saying it while this one is.
        await self._watching()
        self.watch_task = asyncio.ensure_future(self._keep_watching())
        state = await in_tenant(self.schema_name, realtime_state)
        await self.send_json({"type": "wallboard.state", "state": state})

    async def _watching(self) -> None:
        await get_async_redis().set(wallboard_watch_key(self.schema_name), 1, ex=WALLBOARD_WATCH_SECONDS)

    async def _keep_watching(self) -> None:
        while True:
            await asyncio.sleep(WALLBOARD_WATCH_SECONDS / 3)
            try:
                await self._watching()
            except Exception:  # Redis away for a moment: the next turn says it again
                logger.warning("Could not mark the wallboard of %s open", self.schema_name, exc_info=True)

    async def disconnect(self, code: int) -> None:
        task = getattr(self, "watch_task", None)
        if task is not None:
            task.cancel()
        if self.signed_in():
            await self.sign_out()

    def may_stay(self, user: Any) -> int | None:
        return CLOSE_ACCESS_CHANGED if user.role not in SUPERVISORS or user.role != self.user.role else None

    async def event_relay(self, message: dict[str, Any]) -> None:
        # A state published for every wallboard: relayed only while this user may still see it.
        if message["event"].get("type") == "wallboard.state" and not await self.still_authorised():
            return
        await super().event_relay(message)

    async def event_relay_text(self, message: dict[str, Any]) -> None:
        # The state as published (encoded once for every board): relayed only while this user may see it.
        if self.revoked or message["kind"] != "wallboard.state" or not await self.still_authorised():
            return
        await self.relay_text(message)

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})
