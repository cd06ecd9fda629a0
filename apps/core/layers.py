"""The sockets' channel layer: channels_redis' pub/sub layer, publishing without its lock.

channels_redis serialises every PUBLISH of a process behind one asyncio lock (the lock guards its
subscription state, which a publish does not touch), so at a thousand chat messages a second each
publish waited for the previous one's round trip. Publishes here go straight to the client's
connection pool, concurrently; subscribing keeps the lock.

The pool is a bounded, blocking one (CHANNEL_LAYER_CONNECTIONS per process, default 50): redis-py's
default pool refuses the 101st connection in use with MaxConnectionsError, which closed a socket with
1011 as soon as more than 100 publishes of one process were in flight (a thousand chat sockets at a
thousand messages a second did it); a publish now waits its turn for a connection (up to 20 s)."""

from __future__ import annotations

from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import decode_hosts
from django.conf import settings
from redis import asyncio as aioredis


class _Shard(RedisSingleShardConnection):  # type: ignore[misc]
    def _ensure_redis(self) -> None:
        current: Any = self._redis  # type: ignore[has-type]
        if current is None and "address" in self.host:
            host = dict(self.host)
            pool = aioredis.BlockingConnectionPool.from_url(
                host.pop("address"),
                max_connections=getattr(settings, "CHANNEL_LAYER_CONNECTIONS", 50),
                timeout=20,
                **host,
            )
            client = aioredis.Redis(connection_pool=pool)
            self._redis = client
            self._pubsub = client.pubsub()
        super()._ensure_redis()

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
