"""The rate-limiter port: sign-in attempts and the request rate are both counted with it."""

from __future__ import annotations

from typing import Protocol


class RateLimiter(Protocol):
    """Counts attempts per key in a fixed window shared by every process using the store."""

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Count one attempt for `key`.

        Returns None while the key has made at most `limit` attempts in the current
        window, otherwise the whole seconds until the window ends (for `Retry-After`, >= 1).
        Keys never contain health data or raw emails (callers pass a hash).
        """
        ...

    async def reset(self, key: str) -> None:
        """Forget the attempts counted for `key` (after a successful sign-in)."""
        ...
