"""What only one rate limiter does: Redis shares its counts across connections, memory stays
bounded.

The RateLimiter contract (tests/contract/test_rate_limiter.py) covers what every limiter does.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from carehub.adapters.ratelimit.memory import MemoryRateLimiter
from carehub.adapters.ratelimit.redis import RedisRateLimiter, redis_rate_limiter_from_url
from tests.support.clock import AdjustableClock
from tests.support.services import unavailable

REDIS_URL = os.environ.get("CAREHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _redis_client() -> Redis:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        await client.aclose()
        unavailable("Redis", exc)
    return client


async def _drop_keys(prefix: str) -> None:
    client = await _redis_client()
    async for key in client.scan_iter(match=prefix + "*"):
        await client.delete(key)
    await client.aclose()


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other run uses, so runs sharing a server never collide."""
    return f"carehub:test:rl:{uuid.uuid4().hex}:"


# Redis: the point of the adapter is that separate processes share the counts.


async def test_separate_redis_connections_share_counts(redis_prefix: str) -> None:
    await (await _redis_client()).aclose()  # skip or fail early when Redis is away
    first = redis_rate_limiter_from_url(REDIS_URL, prefix=redis_prefix)
    second = redis_rate_limiter_from_url(REDIS_URL, prefix=redis_prefix)
    try:
        for limiter in (first, second, first):
            assert await limiter.hit("k", limit=3, window_seconds=60) is None
        assert await second.hit("k", limit=3, window_seconds=60) is not None
        await first.reset("k")
        assert await second.hit("k", limit=3, window_seconds=60) is None
    finally:
        await first.close()
        await second.close()
        await _drop_keys(redis_prefix)


async def test_lent_redis_client_stays_open_after_close(redis_prefix: str) -> None:
    client = await _redis_client()
    try:
        await RedisRateLimiter(client, prefix=redis_prefix).close()
        assert await client.ping()
    finally:
        await client.aclose()


# Memory: bounded, whatever the callers send.


async def test_memory_limiter_drops_expired_windows() -> None:
    clock = AdjustableClock()
    limiter = MemoryRateLimiter(clock)
    for i in range(5):
        await limiter.hit(f"k{i}", limit=1, window_seconds=10)
    clock.advance(timedelta(seconds=11))
    await limiter.hit("fresh", limit=1, window_seconds=10)
    assert len(limiter) == 1


async def test_memory_limiter_caps_keys_by_dropping_the_oldest() -> None:
    limiter = MemoryRateLimiter(AdjustableClock(), max_keys=3)
    for key in ("a", "b", "c", "d"):
        await limiter.hit(key, limit=1, window_seconds=60)
    assert len(limiter) == 3
    assert await limiter.hit("a", limit=1, window_seconds=60) is None  # "a" was dropped
    assert await limiter.hit("d", limit=1, window_seconds=60) is not None  # "d" was kept
