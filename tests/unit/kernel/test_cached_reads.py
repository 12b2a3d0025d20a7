"""Cache-aside reads: one load per key at a time, never an old value after an
invalidation, and the store's answer whenever the cache cannot be reached."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import structlog
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from structlog.testing import capture_logs

from carehub.adapters.cache.memory import MemoryCache
from carehub.adapters.cache.redis import RedisCache
from carehub.adapters.metrics.prometheus import PrometheusMetrics
from carehub.kernel import cached_reads
from carehub.kernel.cached_reads import CacheAside, CacheGuard
from tests.support.metrics import value
from tests.support.server import free_port


@pytest.fixture(autouse=True)
def fresh_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    """An uncached logger, so capture_logs sees it whatever configured logging before."""
    monkeypatch.setattr(cached_reads, "log", structlog.get_logger("carehub.cache"))


class Store:
    """The records a use case would load, counting its loads."""

    def __init__(self) -> None:
        self.records: dict[str, str] = {"p1": "v1"}
        self.loads = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def load(self, record_id: str) -> str | None:
        """The record as it was when the load began (its answer then takes a while)."""
        self.loads += 1
        found = self.records.get(record_id)
        await self.gate.wait()
        return found


def reads(guard: CacheGuard) -> CacheAside[str]:
    return CacheAside("patient", guard, encode=str.encode, decode=bytes.decode, ttl_seconds=60)


async def page(metrics: PrometheusMetrics) -> str:
    return (await metrics.page()).decode()


async def test_a_second_read_is_answered_by_the_cache_and_counted() -> None:
    metrics = PrometheusMetrics()
    cached, store = reads(CacheGuard(MemoryCache(), metrics=metrics)), Store()
    assert await cached.read("p1", lambda: store.load("p1")) == "v1"
    assert await cached.read("p1", lambda: store.load("p1")) == "v1"
    assert store.loads == 1
    text = await page(metrics)
    assert value(text, "carehub_cache_lookups_total", cache="patient", outcome="miss") == 1
    assert value(text, "carehub_cache_lookups_total", cache="patient", outcome="hit") == 1


async def test_a_missing_record_is_not_kept() -> None:
    cached, store = reads(CacheGuard(MemoryCache())), Store()
    assert await cached.read("nobody", lambda: store.load("nobody")) is None
    store.records["nobody"] = "now here"
    assert await cached.read("nobody", lambda: store.load("nobody")) == "now here"


async def test_concurrent_misses_on_one_key_make_one_load() -> None:
    cached, store = reads(CacheGuard(MemoryCache())), Store()
    store.gate.clear()
    readers = [asyncio.create_task(cached.read("p1", lambda: store.load("p1"))) for _ in range(20)]
    await asyncio.sleep(0.01)
    store.gate.set()
    assert await asyncio.gather(*readers) == ["v1"] * 20
    assert store.loads == 1


async def test_a_reader_that_missed_after_an_invalidation_never_takes_an_older_load() -> None:
    guard = CacheGuard(MemoryCache())
    cached, store = reads(guard), Store()
    store.gate.clear()
    early = asyncio.create_task(cached.read("p1", lambda: store.load("p1")))
    await asyncio.sleep(0.01)  # loading v1, held at the gate
    store.records["p1"] = "v2"  # a writer commits ...
    await guard.invalidate(["patient:p1"])  # ... and invalidates before it returns
    late = asyncio.create_task(cached.read("p1", lambda: store.load("p1")))
    await asyncio.sleep(0.01)
    store.gate.set()
    assert await early == "v1"  # it began before the write: either answer is right
    assert await late == "v2"
    assert store.loads == 2
    # The early reader's fill was refused: the cache holds the new value.
    assert await cached.read("p1", lambda: store.load("p1")) == "v2"


async def test_a_failed_load_reaches_every_reader_waiting_for_it() -> None:
    cached = reads(CacheGuard(MemoryCache()))
    gate = asyncio.Event()

    async def failing() -> str | None:
        await gate.wait()
        raise RuntimeError("the store failed")

    readers = [asyncio.create_task(cached.read("p1", failing)) for _ in range(3)]
    await asyncio.sleep(0.01)
    gate.set()
    results = await asyncio.gather(*readers, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


@pytest.fixture
async def unreachable() -> AsyncIterator[RedisCache]:
    """A Redis cache whose server is not there (nothing listens on the port)."""
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    try:
        yield RedisCache(client)
    finally:
        await client.aclose()


async def test_reads_go_to_the_store_when_the_cache_is_down_warning_once_a_minute(
    unreachable: RedisCache,
) -> None:
    now = [0.0]
    metrics = PrometheusMetrics()
    guard = CacheGuard(unreachable, metrics=metrics, now=lambda: now[0])
    cached, store = reads(guard), Store()
    with capture_logs() as logs:
        for _ in range(3):
            now[0] += 2  # past the rest after each failure: the cache is tried each time
            assert await cached.read("p1", lambda: store.load("p1")) == "v1"
        now[0] += 60
        assert await cached.read("p1", lambda: store.load("p1")) == "v1"
    warnings = [e for e in logs if e["event"] == "cache_unreachable"]
    assert len(warnings) == 2  # the first failure, and the first a minute later
    assert warnings[0]["cache"] == "patient"
    assert "p1" not in repr(warnings)
    text = await page(metrics)
    assert value(text, "carehub_cache_errors_total", cache="patient") == 4


async def test_a_cache_that_failed_rests_before_it_is_tried_again(unreachable: RedisCache) -> None:
    now = [0.0]
    metrics = PrometheusMetrics()
    cached, store = reads(CacheGuard(unreachable, metrics=metrics, now=lambda: now[0])), Store()
    for _ in range(5):
        assert await cached.read("p1", lambda: store.load("p1")) == "v1"
    assert value(await page(metrics), "carehub_cache_errors_total", cache="patient") == 1


async def test_a_lost_invalidation_clears_the_cache_before_its_next_use() -> None:
    cache = MemoryCache()
    now = [0.0]
    guard = CacheGuard(cache, now=lambda: now[0])
    cached, store = reads(guard), Store()
    await cached.read("p1", lambda: store.load("p1"))  # kept
    # An invalidation that cannot reach the cache (a Redis outage) ...
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    guard.cache = RedisCache(client)
    store.records["p1"] = "v2"
    await guard.invalidate(["patient:p1"])
    await client.aclose()
    # ... and the cache comes back with the old value in it: cleared before it is read.
    guard.cache = cache
    now[0] += 2
    assert await cached.read("p1", lambda: store.load("p1")) == "v2"


async def test_an_invalidation_that_must_reach_the_cache_raises(unreachable: RedisCache) -> None:
    guard = CacheGuard(unreachable)
    with pytest.raises(RedisConnectionError):
        await guard.invalidate(["patient:p1"], must_reach=True)


async def test_hits_on_unchanged_bytes_share_one_decoded_record() -> None:
    guard = CacheGuard(MemoryCache())
    cached = CacheAside(
        "patient", guard, encode=lambda v: v.encode(), decode=lambda b: [b.decode()], ttl_seconds=60
    )
    store = {"p1": ["v1"]}

    async def load() -> list[str] | None:
        return store["p1"]

    await cached.read("p1", load)
    first, second = await cached.read("p1", load), await cached.read("p1", load)
    assert first is second and first == ["v1"]
    store["p1"] = ["v2"]
    await guard.invalidate(["patient:p1"])
    await cached.read("p1", load)  # the miss fills v2
    assert await cached.read("p1", load) == ["v2"]
