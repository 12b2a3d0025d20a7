"""A fixed-window rate limiter kept in this process's memory."""

from __future__ import annotations

import math

from carehub.kernel.clock import Clock

DEFAULT_MAX_KEYS = 100_000
# How many expired windows one hit may sweep: keeps every hit O(1) amortised.
_SWEEP_PER_HIT = 8


class MemoryRateLimiter:
    """Counts per key in this process only; for tests and single-process deployments."""

    def __init__(self, clock: Clock, *, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._clock = clock
        self._max_keys = max_keys
        # key -> (window end as a POSIX timestamp, attempts); dict order is window start order.
        self._windows: dict[str, tuple[float, int]] = {}

    def __len__(self) -> int:
        return len(self._windows)

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Count one attempt; None while within `limit`, else whole seconds left in the window."""
        if window_seconds < 1:
            raise ValueError("window_seconds must be at least 1")
        # No await below: read-modify-write is atomic with respect to other coroutines.
        now = self._clock.now().timestamp()
        self._sweep(now)
        window = self._windows.get(key)
        if window is None or window[0] <= now:
            self._windows.pop(key, None)  # re-insert at the end: a new window starts now
            while len(self._windows) >= self._max_keys:
                del self._windows[next(iter(self._windows))]
            window = (now + window_seconds, 0)
        ends, count = window[0], window[1] + 1
        self._windows[key] = (ends, count)
        if count <= limit:
            return None
        return min(window_seconds, max(1, math.ceil(ends - now)))

    async def reset(self, key: str) -> None:
        """Forget the attempts counted for `key`."""
        self._windows.pop(key, None)

    def _sweep(self, now: float) -> None:
        """Drop expired windows from the oldest end (windows of mixed lengths may wait)."""
        for _ in range(_SWEEP_PER_HIT):
            oldest = next(iter(self._windows), None)
            if oldest is None or self._windows[oldest][0] > now:
                return
            del self._windows[oldest]
