"""The relay lease: one process at a time moves events from the outbox to the broker.

Every relay path takes the same lease, the polling relay and a reader of the table's
stream alike, so two processes (or two paths, while a deployment switches) never publish
side by side: each aggregate's events leave from one place, in order.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

LEASE = "outbox-relay"


class LeaseStore(Protocol):
    """Where the lease is kept (the outbox store: `OutboxStore.hold_lease`)."""

    async def hold_lease(self, name: str, owner: str, seconds: float) -> bool: ...

    async def release_lease(self, name: str, owner: str) -> None: ...


class RelayLease:
    """The `outbox-relay` lease as one relay holds it."""

    def __init__(self, store: LeaseStore, owner: str, seconds: float = 15.0) -> None:
        self._store = store
        self._owner = owner
        self.seconds = seconds
        self._until = 0.0  # the event loop's time the lease is held until; 0: not held

    @property
    def leading(self) -> bool:
        """Whether this relay held the lease when it last asked."""
        return bool(self._until)

    async def held(self) -> bool:
        """Take or renew the lease as needed; whether this relay leads now."""
        loop = asyncio.get_running_loop()
        # Renew when a third of the lease is used, well before anyone may take it over.
        if loop.time() < self._until - self.seconds * 2 / 3:
            return True
        if await self._store.hold_lease(LEASE, self._owner, self.seconds):
            self._until = loop.time() + self.seconds
            return True
        self._until = 0.0
        return False

    async def release(self) -> None:
        """Step down (on the way out), if this relay leads."""
        if self._until:
            self._until = 0.0
            await self._store.release_lease(LEASE, self._owner)
