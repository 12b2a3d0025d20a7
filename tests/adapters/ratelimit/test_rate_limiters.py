"""The RateLimiter contract, run against the in-memory and the Redis limiter."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from carehub.adapters.ratelimit.memory import MemoryRateLimiter
from carehub.adapters.ratelimit.redis import RedisRateLimiter, redis_rate_limiter_from_url
from carehub.identity.ports import RateLimiter
from tests.support.clock import AdjustableClock
from tests.support.services import unavailable

REDIS_URL = os.environ.get("CAREHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class Subject:
    """A limiter under test and a way to let its windows run out."""

    limiter: RateLimiter
    let_pass: Callable[[float], Awaitable[None]]


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


@pytest.fixture(params=["memory", "redis"])
async def subject(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[Subject]:
    if request.param == "memory":
        clock = AdjustableClock()

        async def advance(seconds: float) -> None:
            clock.advance(timedelta(seconds=seconds))

        yield Subject(MemoryRateLimiter(clock), advance)
        return
    client = await _redis_client()

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(seconds + 0.1)

    yield Subject(RedisRateLimiter(client, prefix=redis_prefix), sleep)
    await client.aclose()
    await _drop_keys(redis_prefix)


async def test_allows_exactly_limit_hits_then_refuses_with_retry_after(subject: Subject) -> None:
    limiter = subject.limiter
    results = [await limiter.hit("k", limit=3, window_seconds=60) for _ in range(3)]
    assert results == [None, None, None]
    for _ in range(2):
        retry_after = await limiter.hit("k", limit=3, window_seconds=60)
        assert retry_after is not None
        assert 1 <= retry_after <= 60


async def test_keys_are_independent(subject: Subject) -> None:
    limiter = subject.limiter
    assert await limiter.hit("a", limit=1, window_seconds=60) is None
    assert await limiter.hit("a", limit=1, window_seconds=60) is not None
    assert await limiter.hit("b", limit=1, window_seconds=60) is None


async def test_attempts_are_allowed_again_when_the_window_ends(subject: Subject) -> None:
    limiter = subject.limiter
    assert await limiter.hit("k", limit=1, window_seconds=1) is None
    assert await limiter.hit("k", limit=1, window_seconds=1) == 1
    await subject.let_pass(1)
    assert await limiter.hit("k", limit=1, window_seconds=1) is None
    assert await limiter.hit("k", limit=1, window_seconds=1) == 1


async def test_reset_forgets_the_attempts(subject: Subject) -> None:
    limiter = subject.limiter
    await limiter.hit("k", limit=1, window_seconds=60)
    assert await limiter.hit("k", limit=1, window_seconds=60) is not None
    await limiter.reset("k")
    assert await limiter.hit("k", limit=1, window_seconds=60) is None
    await limiter.reset("never-seen")  # resetting an unknown key is harmless


async def test_concurrent_hits_allow_exactly_the_limit(subject: Subject) -> None:
    limiter = subject.limiter
    results = await asyncio.gather(
        *(limiter.hit("k", limit=10, window_seconds=60) for _ in range(50))
    )
    assert sum(result is None for result in results) == 10
    assert all(1 <= r <= 60 for r in results if r is not None)


async def test_window_seconds_below_one_is_rejected(subject: Subject) -> None:
    with pytest.raises(ValueError):
        await subject.limiter.hit("k", limit=1, window_seconds=0)


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
