"""The in-process cache: a bounded LRU of values with a time to live, for one process."""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass

from carehub.kernel.cache import Lookup

# How long a miss's fill token stays valid: a reader slower than this just does not fill.
FILL_WINDOW_SECONDS = 30.0


@dataclass(slots=True)
class _Entry:
    token: str
    value: bytes | None
    expires_at: float


class MemoryCache:
    """Values of this process only: invalidations made by other processes never reach it."""

    def __init__(
        self, *, max_entries: int = 10_000, now: Callable[[], float] = time.monotonic
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._max_entries = max_entries
        self._now = now
        # Tokens never repeat, so an evicted or invalidated key's old token matches nothing.
        self._tokens = itertools.count(1)

    async def lookup(self, key: str) -> Lookup:
        now = self._now()
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at <= now:
            del self._entries[key]
            entry = None
        if entry is None:
            entry = _Entry(str(next(self._tokens)), None, now + FILL_WINDOW_SECONDS)
            self._entries[key] = entry
            if len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return Lookup(entry.value, entry.token)

    async def fill(self, key: str, value: bytes, *, token: str, ttl_seconds: float) -> bool:
        now = self._now()
        entry = self._entries.get(key)
        if entry is None or entry.token != token or entry.expires_at <= now:
            return False
        entry.value = value
        entry.expires_at = now + ttl_seconds
        return True

    async def invalidate(self, keys: Collection[str]) -> None:
        for key in keys:
            self._entries.pop(key, None)

    async def clear(self) -> None:
        self._entries.clear()

    async def ping(self) -> None:
        return None
