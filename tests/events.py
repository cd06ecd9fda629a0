"""Listening to realtime events from a test. The default channel layer is pub/sub: a subscription
lives on the event loop that made it, so the listener keeps its own loop on a thread for as long as
the test needs it (the test thread itself may hold Playwright's loop)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from channels.layers import get_channel_layer


class Listener:
    def __init__(self, group: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(group), self.loop).result(10)

    async def _start(self, group: str) -> None:
        self.layer = get_channel_layer()
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(group, self.channel)
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.pump = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        while True:
            self.queue.put_nowait(await self.layer.receive(self.channel))

    def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next event (the `event` of the relayed message)."""
        message = asyncio.run_coroutine_threadsafe(asyncio.wait_for(self.queue.get(), timeout), self.loop).result(
            timeout + 1
        )
        return dict(message["event"])

    def close(self) -> None:
        async def stop() -> None:
            self.pump.cancel()
            await self.layer.flush()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
