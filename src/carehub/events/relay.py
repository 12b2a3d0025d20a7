"""The outbox relay: moves committed events from the outbox to the broker, in order.

Only the holder of the `outbox-relay` lease moves rows, so each aggregate's events leave in
commit order. Rows are marked published once the broker answers for them; a broker that
fails makes the relay start again from the oldest unpublished row after a pause, so
nothing is skipped (and consumers, being idempotent, absorb repeats).

Each read starts from the oldest unpublished row whenever nothing is in flight. That
matters on PostgreSQL, where sequence numbers are taken before commit: a transaction can
commit a lower `seq` after a higher one was read, and a cursor alone would step over it.
Only the in-process broker keeps batches in flight (its publish waits for consumers);
while it does, reads continue past a cursor, and any late row is found at the next lull.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from carehub.events.lease import RelayLease
from carehub.events.model import OutboxRow
from carehub.events.ports import Broker, OutboxStore
from carehub.kernel.clock import Clock
from carehub.kernel.metrics import NO_METRICS, Metrics

log = logging.getLogger("carehub.events.relay")


class OutboxRelay:
    """Publishes outbox rows while it holds the relay lease."""

    def __init__(
        self,
        store: OutboxStore,
        broker: Broker,
        clock: Clock,
        *,
        owner: str,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
        lease_seconds: float = 15.0,
        max_pause_seconds: float = 10.0,
        committed: asyncio.Event | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._broker = broker
        self._clock = clock
        self._lease = RelayLease(store, owner, lease_seconds)
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._max_pause = max_pause_seconds
        self._cursor = 0
        self._in_flight: set[asyncio.Task[None]] = set()
        self._failures = 0
        # Set by units of work that commit events, so the relay looks at once.
        self._wake = committed or asyncio.Event()

    def wake(self) -> None:
        """New rows were committed: look now instead of at the next poll."""
        self._wake.set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Relay until `stopping` is set; then finish what is in flight and step down."""
        try:
            while not stopping.is_set():
                try:
                    moved = await self.step()
                except Exception:
                    log.exception("outbox relay step failed")
                    moved = 0
                    await self._pause_after_failure()
                if not moved:
                    await self._idle(stopping)
        finally:
            await self._settle(self._in_flight)
            await self._lease.release()

    async def step(self) -> int:
        """Hand over the next batch, if this relay leads; returns how many rows it read."""
        if not await self._lead():
            return 0
        self._wake.clear()
        if not self._in_flight:
            self._cursor = 0
        rows = await self._store.unpublished(self._cursor, self._batch_size)
        if not rows:
            return 0
        self._cursor = rows[-1].seq
        task = asyncio.create_task(self._publish(rows))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        if len(self._in_flight) >= self._broker.max_in_flight:
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
        if self._failures:
            await self._pause_after_failure()
        return len(rows)

    async def drain(self) -> int:
        """Publish everything waiting now (tests and shutdown); returns how many rows."""
        total = 0
        while moved := await self.step():
            total += moved
        await self._settle(self._in_flight)
        return total

    async def _publish(self, rows: Sequence[OutboxRow]) -> None:
        try:
            await self._broker.publish([row.message for row in rows])
            await self._store.mark_published([row.seq for row in rows], self._clock.now())
        except Exception:
            log.exception("publishing %d events failed; they stay in the outbox", len(rows))
            self._failures += 1
            return
        self._failures = 0
        self._metrics.events_published(len(rows))

    async def _pause_after_failure(self) -> None:
        """Wait for what is in flight, rewind to the oldest unpublished row, back off."""
        await self._settle(self._in_flight)
        self._cursor = 0
        pause = min(self._max_pause, 0.2 * 2 ** min(self._failures, 10))
        await asyncio.sleep(pause)

    async def _lead(self) -> bool:
        was_leading = self._lease.leading
        if await self._lease.held():
            if not was_leading:
                log.info("outbox relay leads")
            return True
        if was_leading:
            log.warning("outbox relay lost its lease")
            await self._settle(self._in_flight)
        self._cursor = 0  # whoever leads next starts from the oldest unpublished row
        return False

    async def _idle(self, stopping: asyncio.Event) -> None:
        wake = asyncio.ensure_future(self._wake.wait())
        stop = asyncio.ensure_future(stopping.wait())
        timeout = self._poll_seconds if self._lease.leading else self._lease.seconds / 3
        try:
            await asyncio.wait({wake, stop}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            wake.cancel()
            stop.cancel()

    @staticmethod
    async def _settle(tasks: set[asyncio.Task[None]]) -> None:
        if tasks:
            await asyncio.gather(*list(tasks), return_exceptions=True)
