"""The cache in Redis, shared by every process using the same server.

A key is a hash: `t`, the fill token a miss hands out, and `v`, the value once filled.
An invalidation deletes the hash, so a token handed out before it matches nothing after;
both scripts run atomically on the server, one round trip each.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from redis.asyncio import BlockingConnectionPool, Redis

from carehub.kernel.cache import Lookup

MAX_CONNECTIONS = 64
# How long a miss's fill token stays valid: a reader slower than this just does not fill.
FILL_WINDOW_MS = 30_000

# Returns {token, value} on a hit, {token} on a miss (handing out ARGV[1] if none is out).
_LOOKUP = """
local found = redis.call('HMGET', KEYS[1], 't', 'v')
if found[1] then
  if found[2] then return {found[1], found[2]} end
  return {found[1]}
end
redis.call('HSET', KEYS[1], 't', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {ARGV[1]}
"""

# Keeps the value only while the token is the key's own (nothing invalidated it since).
_FILL = """
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""


class RedisCache:
    """Values in Redis under `prefix`; invalidations by any process reach every other."""

    def __init__(
        self, client: Redis, *, prefix: str = "carehub:cache:", owns_client: bool = False
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._owns_client = owns_client
        self._lookup = client.register_script(_LOOKUP)  # no I/O: loaded on first use
        self._fill = client.register_script(_FILL)

    async def lookup(self, key: str) -> Lookup:
        found = await self._lookup(
            keys=[self._prefix + key], args=[uuid.uuid4().hex, FILL_WINDOW_MS]
        )
        token = found[0].decode() if isinstance(found[0], bytes) else str(found[0])
        return Lookup(bytes(found[1]) if len(found) > 1 else None, token)

    async def fill(self, key: str, value: bytes, *, token: str, ttl_seconds: float) -> bool:
        ttl_ms = max(1, int(ttl_seconds * 1000))
        kept = await self._fill(keys=[self._prefix + key], args=[token, value, ttl_ms])
        return bool(kept)

    async def invalidate(self, keys: Collection[str]) -> None:
        if keys:
            await self._client.delete(*(self._prefix + key for key in keys))

    async def clear(self) -> None:
        batch: list[bytes] = []
        async for key in self._client.scan_iter(match=self._prefix + "*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                await self._client.unlink(*batch)
                batch = []
        if batch:
            await self._client.unlink(*batch)

    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        """Close the client when this cache created it; a lent client stays open."""
        if self._owns_client:
            await self._client.aclose()


def redis_cache_from_url(url: str, *, prefix: str = "carehub:cache:") -> RedisCache:
    """A cache with its own connection pool (connects lazily); call `close()` at shutdown.

    Short timeouts: a cache that answers slowly is worse than none, and a read that cannot
    reach it goes to the store instead. A burst (a consumer invalidating a batch of events
    side by side, many reads at once) waits for one of a bounded set of connections rather
    than failing for want of one.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=2,
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
    )
    return RedisCache(Redis.from_pool(pool), prefix=prefix, owns_client=True)
