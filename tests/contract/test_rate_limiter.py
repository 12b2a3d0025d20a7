"""The RateLimiter contract, run against the in-memory and the Redis limiter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from carehub.adapters.ratelimit.memory import MemoryRateLimiter
from carehub.adapters.ratelimit.redis import RedisRateLimiter
from carehub.kernel.rate_limit import RateLimiter
from tests.support.clock import AdjustableClock
from tests.support.redis_space import REDIS_URL, redis_prefix


@dataclass
class Subject:
    """A limiter under test and a way to let its windows run out."""

    limiter: RateLimiter
    let_pass: Callable[[float], Awaitable[None]]
    # A second limiter on the same store that counts in a key space of its own.
    other_space: RateLimiter


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[Subject]:
    if request.param == "memory":
        clock = AdjustableClock()

        async def advance(seconds: float) -> None:
            clock.advance(timedelta(seconds=seconds))

        yield Subject(MemoryRateLimiter(clock), advance, MemoryRateLimiter(clock))
        return

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(seconds + 0.1)

    # The prefix's keys are deleted afterwards; a missing Redis fails under CI.
    async with redis_prefix() as prefix:
        client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        try:
            limiter = RedisRateLimiter(client, prefix=f"{prefix}:")
            yield Subject(limiter, sleep, limiter.in_space(f"{prefix}:other:"))
        finally:
            await client.aclose()


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


async def test_key_spaces_count_apart(subject: Subject) -> None:
    limiter, other = subject.limiter, subject.other_space
    assert await limiter.hit("k", limit=1, window_seconds=60) is None
    assert await limiter.hit("k", limit=1, window_seconds=60) is not None
    assert await other.hit("k", limit=1, window_seconds=60) is None
    await other.reset("k")
    assert await limiter.hit("k", limit=1, window_seconds=60) is not None
