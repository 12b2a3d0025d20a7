"""Cache-aside reads over the cache port: single flight, fill tokens, and the store as the
answer whenever the cache cannot be reached.

A use case reads a record through `ReadThrough.read(id, load)` inside its unit of work;
the gate and the audit entry come after, whether the cache answered or not. Writers never
touch the cache themselves: the events their unit of work committed are mapped to keys and
invalidated (`CacheGuard.invalidate`) before the use case returns.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from typing import Generic, Protocol, TypeVar

import structlog

from carehub.kernel.cache import Cache
from carehub.kernel.metrics import NO_METRICS, CacheOutcome, Metrics

T = TypeVar("T")

log = structlog.get_logger("carehub.cache")

# After a failed call the cache is left alone this long: a cache that is down must not
# cost every read a failed connection.
RETRY_AFTER_SECONDS = 1.0
WARN_EVERY_SECONDS = 60.0
DECODED_KEPT = 4096  # records of one kind kept decoded, most recently read


class ReadThrough(Protocol[T]):
    async def read(self, record_id: str, load: Callable[[], Awaitable[T | None]]) -> T | None:
        """The record with `record_id`: from the cache, else `load()` (kept when found)."""
        ...


class Uncached(Generic[T]):
    """Every read goes to the store (caching off, and the default of every use case)."""

    async def read(self, record_id: str, load: Callable[[], Awaitable[T | None]]) -> T | None:
        return await load()


class CacheGuard:
    """One cache's health, shared by every kind of record kept in it.

    A failure is counted, warned about at most once a minute, and keeps the cache unused
    for a moment; once it answers again it is used again. An invalidation that failed
    leaves values that may be stale: the whole cache is cleared before it is read again.
    """

    def __init__(
        self,
        cache: Cache,
        *,
        metrics: Metrics = NO_METRICS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache = cache
        self.metrics = metrics
        self._now = now
        self._resting_until = 0.0
        self._warned_at: float | None = None
        self._must_clear = False

    async def usable(self, name: str) -> bool:
        """Whether reads may use the cache now (clearing it first after lost invalidations)."""
        if self._now() < self._resting_until:
            return False
        if self._must_clear:
            try:
                await self.cache.clear()
            except Exception as exc:
                self.failed(name, exc)
                return False
            self._must_clear = False
        return True

    def failed(self, name: str, exc: Exception) -> None:
        """Count a failed call and rest the cache; warn at most once a minute."""
        now = self._now()
        self._resting_until = now + RETRY_AFTER_SECONDS
        self.metrics.cache_error(name)
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("cache_unreachable", cache=name, error=type(exc).__name__)

    async def invalidate(self, keys: Collection[str], *, must_reach: bool = False) -> None:
        """Drop `keys`. When the cache cannot be reached, it is cleared before its next
        use; with `must_reach` the failure raises instead (a consumer's delivery is then
        retried, so nothing is lost)."""
        if not keys:
            return
        try:
            await self.cache.invalidate(keys)
        except Exception as exc:
            self.failed("invalidation", exc)
            if must_reach:
                raise
            self._must_clear = True


class CacheAside(Generic[T]):
    """Records of one kind (`name`, the first part of their keys) kept in a cache.

    Concurrent misses on one key in this process make one load (single flight), when they
    hold the same fill token: a reader that missed after an invalidation never takes a
    value loaded before it.
    """

    def __init__(
        self,
        name: str,
        guard: CacheGuard,
        *,
        encode: Callable[[T], bytes],
        decode: Callable[[bytes], T],
        ttl_seconds: float,
    ) -> None:
        self.name = name
        self._guard = guard
        self._encode = encode
        self._decode = decode
        self._ttl = ttl_seconds
        self._flights: dict[tuple[str, str], asyncio.Future[T | None]] = {}
        # The records are immutable: a hit whose bytes are the ones decoded last time for
        # the key shares that record instead of decoding them again.
        self._decoded: OrderedDict[str, tuple[bytes, T]] = OrderedDict()

    def key(self, record_id: str) -> str:
        """The record's key: its kind and its id, nothing else."""
        return f"{self.name}:{record_id}"

    async def read(self, record_id: str, load: Callable[[], Awaitable[T | None]]) -> T | None:
        guard = self._guard
        if not await guard.usable(self.name):
            return await load()
        key = self.key(record_id)
        try:
            found = await guard.cache.lookup(key)
        except Exception as exc:
            guard.failed(self.name, exc)
            return await load()
        if found.value is not None:
            guard.metrics.cache_lookup(self.name, CacheOutcome.HIT)
            return self._decoded_once(key, found.value)
        guard.metrics.cache_lookup(self.name, CacheOutcome.MISS)
        flight_key = (key, found.token)
        leading = self._flights.get(flight_key)
        if leading is not None:
            try:
                return await asyncio.shield(leading)
            except asyncio.CancelledError:
                if not leading.cancelled():
                    raise  # this reader was cancelled, not the one it waited for
                return await load()
        value = await self._load_once(flight_key, load)
        if value is not None:
            try:
                await guard.cache.fill(
                    key, self._encode(value), token=found.token, ttl_seconds=self._ttl
                )
            except Exception as exc:
                guard.failed(self.name, exc)
        return value

    def _decoded_once(self, key: str, data: bytes) -> T:
        kept = self._decoded.get(key)
        if kept is not None and kept[0] == data:
            self._decoded.move_to_end(key)
            return kept[1]
        record = self._decode(data)
        self._decoded[key] = (data, record)
        if len(self._decoded) > DECODED_KEPT:
            self._decoded.popitem(last=False)
        return record

    async def _load_once(
        self, flight_key: tuple[str, str], load: Callable[[], Awaitable[T | None]]
    ) -> T | None:
        flight: asyncio.Future[T | None] = asyncio.get_running_loop().create_future()
        self._flights[flight_key] = flight
        try:
            value = await load()
        except Exception as exc:
            flight.set_exception(exc)
            flight.exception()  # retrieved: a flight nobody joined logs nothing
            raise
        except BaseException:
            flight.cancel()
            raise
        finally:
            del self._flights[flight_key]
        flight.set_result(value)
        return value
