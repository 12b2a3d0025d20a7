"""The cache port: values kept beside the store, filled by readers, dropped by writers.

A reader that misses is given a fill token before it loads from the store; its value is
kept only if nothing invalidated the key since. So a reader that loaded an old value can
never store it after a writer committed and invalidated (the classic cache-aside race).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a key holds: its value, or on a miss the token a fill must present."""

    value: bytes | None
    token: str


class Cache(Protocol):
    """Bytes by key, with a time to live, shared by every process using the same store.

    Keys hold ids only (`patient:0192...`), never names or contact data. Every method may
    raise when the store cannot be reached; callers fall back to their own store.
    """

    async def lookup(self, key: str) -> Lookup:
        """The key's value, or (on a miss) a fill token that any invalidation revokes."""
        ...

    async def fill(self, key: str, value: bytes, *, token: str, ttl_seconds: float) -> bool:
        """Keep `value` for at most `ttl_seconds` if `token` is still the key's; True if kept."""
        ...

    async def invalidate(self, keys: Collection[str]) -> None:
        """Drop the keys' values and revoke their outstanding fill tokens."""
        ...

    async def clear(self) -> None:
        """Drop every value of this cache's key space (after invalidations were lost)."""
        ...

    async def ping(self) -> None:
        """Return once the store answers (readiness)."""
        ...
