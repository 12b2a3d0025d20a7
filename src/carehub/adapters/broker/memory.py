"""The in-process broker: asyncio queues, one per consumer, inside one process.

It keeps nothing across a restart, so `publish` returns only once every subscription has
settled its copy (acknowledged it, or given up and parked it). Until then the relay leaves
the outbox row unpublished, and a restart publishes it again.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from carehub.events.model import ConsumerSpec
from carehub.events.ports import Delivery
from carehub.kernel.events import EventMessage


@dataclass
class _Copy:
    message: EventMessage
    settled: asyncio.Future[None]
    attempt: int = 1
    timer: asyncio.TimerHandle | None = None


class MemoryBroker:
    """Consumers in this process get their copies through asyncio queues."""

    # Publishing cannot fail part-way, so batches may overlap; a few keep consumers busy,
    # and more would only hold memory (a relay catching up with 100,000 events held 32,000).
    max_in_flight = 4

    def __init__(self, *, visibility_timeout: float = 30.0) -> None:
        self._visibility_timeout = visibility_timeout
        self._subscriptions: dict[str, MemorySubscription] = {}

    async def declare(self, consumers: Sequence[ConsumerSpec]) -> None:
        for spec in consumers:
            if spec.name not in self._subscriptions:
                self._subscriptions[spec.name] = MemorySubscription(spec, self._visibility_timeout)

    async def publish(self, messages: Sequence[EventMessage]) -> None:
        waits: list[asyncio.Future[None]] = []
        for message in messages:
            for subscription in self._subscriptions.values():
                if subscription.spec.wants(message):
                    waits.append(subscription.put(message))
        if waits:
            await asyncio.gather(*waits)

    def subscription(self, consumer: ConsumerSpec) -> MemorySubscription:
        try:
            return self._subscriptions[consumer.name]
        except KeyError:
            raise LookupError(f"consumer {consumer.name!r} was not declared") from None

    async def depths(self, consumers: Sequence[ConsumerSpec]) -> dict[str, int]:
        """The copies each consumer's queue holds, handed out or not (none survives a
        restart, so this is all there is)."""
        return {
            spec.name: self._subscriptions[spec.name].depth
            for spec in consumers
            if spec.name in self._subscriptions
        }

    async def close(self) -> None:
        for subscription in self._subscriptions.values():
            subscription.close()


class MemorySubscription:
    def __init__(self, spec: ConsumerSpec, visibility_timeout: float) -> None:
        self.spec = spec
        self._visibility_timeout = visibility_timeout
        self._ready: asyncio.Queue[_Copy] = asyncio.Queue()
        self._out: dict[str, _Copy] = {}  # receipt -> copy being processed
        self._receipts = itertools.count(1)

    @property
    def depth(self) -> int:
        """Copies waiting or being processed."""
        return self._ready.qsize() + len(self._out)

    def put(self, message: EventMessage) -> asyncio.Future[None]:
        copy = _Copy(message, asyncio.get_running_loop().create_future())
        self._ready.put_nowait(copy)
        return copy.settled

    async def receive(self, max_messages: int, wait_seconds: float) -> list[Delivery]:
        try:
            first = await asyncio.wait_for(self._ready.get(), timeout=wait_seconds)
        except TimeoutError:
            return []
        copies = [first]
        while len(copies) < max_messages and not self._ready.empty():
            copies.append(self._ready.get_nowait())
        return [self._hand_out(copy) for copy in copies]

    async def ack(self, delivery: Delivery) -> None:
        copy = self._take(delivery)
        if copy is not None and not copy.settled.done():
            copy.settled.set_result(None)

    async def retry_later(self, delivery: Delivery, delay_seconds: float) -> None:
        copy = self._take(delivery)
        if copy is not None:
            copy.attempt += 1
            copy.timer = asyncio.get_running_loop().call_later(
                delay_seconds, self._ready.put_nowait, copy
            )

    def close(self) -> None:
        for copy in self._out.values():
            if copy.timer is not None:
                copy.timer.cancel()
        self._out.clear()

    def _hand_out(self, copy: _Copy) -> Delivery:
        receipt = str(next(self._receipts))
        self._out[receipt] = copy
        # A consumer that never answers is taken to have died: the copy comes back.
        copy.timer = asyncio.get_running_loop().call_later(
            self._visibility_timeout, self._expire, receipt
        )
        return Delivery(copy.message, copy.attempt, receipt)

    def _expire(self, receipt: str) -> None:
        copy = self._out.pop(receipt, None)
        if copy is not None:
            copy.attempt += 1
            self._ready.put_nowait(copy)

    def _take(self, delivery: Delivery) -> _Copy | None:
        copy = self._out.pop(delivery.receipt, None)
        if copy is not None and copy.timer is not None:
            copy.timer.cancel()
            copy.timer = None
        return copy
