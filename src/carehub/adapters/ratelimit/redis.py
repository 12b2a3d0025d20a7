"""A fixed-window rate limiter in Redis, shared by every process using the same server."""

from __future__ import annotations

import math

from redis.asyncio import Redis

# One round trip, atomic on the server: count, start the window on the first hit, and
# report the window's remaining milliseconds once the limit is passed (0 = allowed).
_HIT = """
local count = redis.call('INCR', KEYS[1])
local window_ms = tonumber(ARGV[1]) * 1000
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], window_ms)
end
if count <= tonumber(ARGV[2]) then
  return 0
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  -- a key without expiry (written by something else) would block forever: bound it
  redis.call('PEXPIRE', KEYS[1], window_ms)
  left = window_ms
end
return left
"""


class RedisRateLimiter:
    """Counts per key in Redis; every process pointing at the server shares the counts."""

    def __init__(
        self, client: Redis, *, prefix: str = "carehub:rl:", owns_client: bool = False
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._owns_client = owns_client
        self._hit = client.register_script(_HIT)  # no I/O: loaded on first use

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Count one attempt; None while within `limit`, else whole seconds left in the window."""
        if window_seconds < 1:
            raise ValueError("window_seconds must be at least 1")
        left_ms = int(await self._hit(keys=[self._prefix + key], args=[window_seconds, limit]))
        if left_ms <= 0:
            return None
        return min(window_seconds, max(1, math.ceil(left_ms / 1000)))

    def in_space(self, prefix: str) -> RedisRateLimiter:
        """A limiter counting under `prefix` over this one's connections (left to this one)."""
        return RedisRateLimiter(self._client, prefix=prefix)

    async def reset(self, key: str) -> None:
        """Forget the attempts counted for `key`."""
        await self._client.delete(self._prefix + key)

    async def close(self) -> None:
        """Close the client when this limiter created it; a lent client stays open."""
        if self._owns_client:
            await self._client.aclose()


def redis_rate_limiter_from_url(url: str, *, prefix: str = "carehub:rl:") -> RedisRateLimiter:
    """A limiter with its own connection pool (connects lazily); call `close()` at shutdown."""
    client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    return RedisRateLimiter(client, prefix=prefix, owns_client=True)
