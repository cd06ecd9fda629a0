"""The sockets' channel layer: channels_redis' pub/sub layer, publishing without its lock.

channels_redis serialises every PUBLISH of a process behind one asyncio lock (the lock guards its
subscription state, which a publish does not touch), so at a thousand chat messages a second each
publish waited for the previous one's round trip. Publishes here go straight to the client's
connection pool, concurrently; subscribing keeps the lock."""

from __future__ import annotations

from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import decode_hosts


class _Shard(RedisSingleShardConnection):  # type: ignore[misc]
    async def publish(self, channel: str, message: bytes) -> None:
        self._ensure_redis()
        await self._redis.publish(channel, message)


class _LoopLayer(RedisPubSubLoopLayer):  # type: ignore[misc]
    def __init__(self, hosts: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(hosts, *args, **kwargs)
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]


class PubSubChannelLayer(RedisPubSubChannelLayer):  # type: ignore[misc]
    def _get_layer(self) -> Any:
        import asyncio

        from channels_redis.utils import _wrap_close

        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
        return layer
