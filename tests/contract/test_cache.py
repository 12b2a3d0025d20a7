"""The Cache contract, run against the in-process and the Redis cache."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from carehub.adapters.cache.memory import MemoryCache
from carehub.adapters.cache.redis import RedisCache
from carehub.kernel.cache import Cache
from tests.support.redis_space import REDIS_URL, redis_prefix


@dataclass
class Subject:
    """A cache under test, a way to let time pass for it, and a second key space."""

    cache: Cache
    let_pass: Callable[[float], Awaitable[None]]
    other_space: Cache | None  # None: an in-process cache has no key space to share


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[Subject]:
    if request.param == "memory":
        now = [1000.0]

        async def advance(seconds: float) -> None:
            now[0] += seconds

        yield Subject(MemoryCache(now=lambda: now[0]), advance, None)
        return

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(seconds + 0.1)

    # The prefix's keys are deleted afterwards; a missing Redis fails under CI.
    async with redis_prefix() as prefix:
        client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        try:
            other = RedisCache(client, prefix=f"{prefix}:b:")
            yield Subject(RedisCache(client, prefix=f"{prefix}:a:"), sleep, other)
        finally:
            await client.aclose()


async def test_a_miss_hands_out_a_token_that_fills_the_key(subject: Subject) -> None:
    cache = subject.cache
    missed = await cache.lookup("patient:1")
    assert missed.value is None
    assert await cache.fill("patient:1", b"one", token=missed.token, ttl_seconds=60)
    hit = await cache.lookup("patient:1")
    assert hit.value == b"one"


async def test_misses_before_a_fill_share_one_token(subject: Subject) -> None:
    first = await subject.cache.lookup("patient:1")
    second = await subject.cache.lookup("patient:1")
    assert first.token == second.token


async def test_an_invalidation_revokes_the_token_of_a_reader_still_loading(
    subject: Subject,
) -> None:
    cache = subject.cache
    reader = await cache.lookup("patient:1")  # misses, goes to load the old value
    await cache.invalidate(["patient:1"])  # a writer commits and invalidates
    assert not await cache.fill("patient:1", b"old", token=reader.token, ttl_seconds=60)
    after = await cache.lookup("patient:1")
    assert after.value is None
    assert after.token != reader.token
    assert await cache.fill("patient:1", b"new", token=after.token, ttl_seconds=60)
    assert (await cache.lookup("patient:1")).value == b"new"


async def test_an_invalidation_drops_the_value(subject: Subject) -> None:
    cache = subject.cache
    for key in ("patient:1", "doctor:1"):
        missed = await cache.lookup(key)
        await cache.fill(key, b"v", token=missed.token, ttl_seconds=60)
    await cache.invalidate(["patient:1", "country:never-seen"])
    assert (await cache.lookup("patient:1")).value is None
    assert (await cache.lookup("doctor:1")).value == b"v"
    await cache.invalidate([])  # nothing to drop is harmless


async def test_a_token_of_another_key_or_made_up_fills_nothing(subject: Subject) -> None:
    cache = subject.cache
    one = await cache.lookup("patient:1")
    await cache.lookup("patient:2")
    assert not await cache.fill("patient:2", b"x", token=one.token, ttl_seconds=60)
    assert not await cache.fill("patient:3", b"x", token=one.token, ttl_seconds=60)
    assert not await cache.fill("patient:1", b"x", token="made-up", ttl_seconds=60)
    assert (await cache.lookup("patient:2")).value is None


async def test_a_value_lives_for_its_time_to_live(subject: Subject) -> None:
    cache = subject.cache
    missed = await cache.lookup("patient:1")
    await cache.fill("patient:1", b"v", token=missed.token, ttl_seconds=1)
    assert (await cache.lookup("patient:1")).value == b"v"
    await subject.let_pass(1)
    assert (await cache.lookup("patient:1")).value is None


async def test_clear_drops_every_value_of_its_key_space(subject: Subject) -> None:
    cache = subject.cache
    for key in ("patient:1", "doctor:2"):
        missed = await cache.lookup(key)
        await cache.fill(key, b"v", token=missed.token, ttl_seconds=60)
    other = subject.other_space
    if other is not None:
        kept = await other.lookup("patient:1")
        await other.fill("patient:1", b"other", token=kept.token, ttl_seconds=60)
    await cache.clear()
    assert (await cache.lookup("patient:1")).value is None
    assert (await cache.lookup("doctor:2")).value is None
    if other is not None:
        assert (await other.lookup("patient:1")).value == b"other"


async def test_values_are_bytes_kept_exactly(subject: Subject) -> None:
    cache = subject.cache
    value = bytes(range(256)) * 4
    missed = await cache.lookup("patient:1")
    await cache.fill("patient:1", value, token=missed.token, ttl_seconds=60)
    assert (await cache.lookup("patient:1")).value == value


async def test_interleaved_readers_and_writers_never_leave_an_old_value(subject: Subject) -> None:
    """Readers load the version current when they missed and fill it; writers bump the
    version and invalidate. Whatever the interleaving, the cache ends holding the last
    version or nothing."""
    cache = subject.cache
    version = 0

    async def reader() -> None:
        found = await cache.lookup("doctor:1")
        if found.value is not None:
            return
        loaded = version
        await asyncio.sleep(0)  # the load takes a while: a writer may commit meanwhile
        await cache.fill("doctor:1", str(loaded).encode(), token=found.token, ttl_seconds=60)

    async def writer() -> None:
        nonlocal version
        version += 1
        await cache.invalidate(["doctor:1"])

    for _ in range(20):
        await asyncio.gather(*(reader() if i % 3 else writer() for i in range(30)))
        held = (await cache.lookup("doctor:1")).value
        assert held is None or int(held) == version


async def test_ping_answers(subject: Subject) -> None:
    await subject.cache.ping()
