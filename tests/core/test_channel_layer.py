"""The sockets' channel layer under a burst: more publishes in flight than a process has Redis
connections wait for one instead of failing (redis-py's default pool raised MaxConnectionsError at
the 101st, and the socket that sent the frame was closed with 1011)."""

from __future__ import annotations

import asyncio

from channels.layers import get_channel_layer
from django.test import override_settings

from tests.ws import run_async


@override_settings(CHANNEL_LAYER_CONNECTIONS=10)
def test_a_burst_of_publishes_beyond_the_pool_is_delivered_not_refused() -> None:
    async def burst() -> list[dict[str, object]]:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add("burst-test", channel)
        try:
            await asyncio.gather(*(layer.group_send("burst-test", {"type": "n", "n": n}) for n in range(300)))
            got = []
            async with asyncio.timeout(30):
                while len(got) < 300:
                    got.append(await layer.receive(channel))
            return got
        finally:
            await layer.group_discard("burst-test", channel)
            await layer.flush()

    got = run_async(burst())
    assert sorted(m["n"] for m in got) == list(range(300))
