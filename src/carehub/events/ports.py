"""The ports of the event backbone: the broker, the relay's view of the outbox, and where
consumers keep what they processed and what they gave up on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from carehub.events.model import ConsumerSpec, DeadLetter, OutboxRow
from carehub.kernel.events import EventMessage
from carehub.kernel.pagination import Page
from carehub.kernel.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Delivery:
    """One delivery of a message to one consumer."""

    message: EventMessage
    attempt: int  # 1 on the first delivery, counted by the broker
    receipt: str  # the broker's handle for ack/retry_later


class Subscription(Protocol):
    """One consumer's feed. A delivery that is neither acknowledged nor put back comes
    again once its visibility timeout has passed (its consumer is taken to have died)."""

    async def receive(self, max_messages: int, wait_seconds: float) -> list[Delivery]:
        """Up to `max_messages` deliveries; waits up to `wait_seconds` for the first."""
        ...

    async def ack(self, delivery: Delivery) -> None:
        """The consumer is done with the message: it is not delivered again."""
        ...

    async def retry_later(self, delivery: Delivery, delay_seconds: float) -> None:
        """Deliver the message again, with `attempt + 1`, after about `delay_seconds`."""
        ...


class Broker(Protocol):
    """Carries events from the relay to consumers: every subscription whose event types
    include a message's type gets its own copy. Messages of one aggregate reach a
    subscription in the order they were published (a retried message may be overtaken)."""

    max_in_flight: int
    """Batches the relay may hand over before the first is confirmed (1 keeps strict
    order on a broker whose publish can fail part-way)."""

    async def declare(self, consumers: Sequence[ConsumerSpec]) -> None:
        """Create what the consumers' subscriptions need (streams and groups, topics and
        queues). Idempotent; run before the first publish so no consumer misses events."""
        ...

    async def publish(self, messages: Sequence[EventMessage]) -> None:
        """Hand messages over, in order. Returns once the broker answers for them: a
        durable broker once it has stored them, the in-process broker (which keeps nothing
        across a restart) once every subscription has settled them."""
        ...

    def subscription(self, consumer: ConsumerSpec) -> Subscription:
        """The feed of one declared consumer."""
        ...

    async def depths(self, consumers: Sequence[ConsumerSpec]) -> dict[str, int]:
        """How many messages wait for each of these consumers, by name, where the broker
        can tell (one call per consumer at most; a broker that cannot answers `{}`)."""
        ...

    async def close(self) -> None: ...


class ConsumerUnitOfWork(UnitOfWork, Protocol):
    """The unit of work a consumer applies an event in."""

    async def mark_processed(self, consumer: str, event_id: str) -> bool:
        """Record, in this unit's transaction, that `consumer` applied the event; False
        when it already had (then the unit must not commit)."""
        ...

    def has_changes(self) -> bool:
        """Whether anything was written or recorded in this unit so far."""
        ...


class OutboxStore(Protocol):
    """The relay's access to the outbox and to the lease that makes one relay the leader."""

    async def hold_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Take or extend the named lease for `owner`; False while another owner holds it."""
        ...

    async def release_lease(self, name: str, owner: str) -> None: ...

    async def unpublished(self, after_seq: int, limit: int) -> list[OutboxRow]:
        """Rows not yet published, beyond `after_seq`, oldest first."""
        ...

    async def mark_published(self, seqs: Sequence[int], at: datetime) -> None: ...

    async def backlog(self) -> int:
        """How many rows wait to be published."""
        ...

    async def oldest_unpublished(self) -> datetime | None:
        """When the oldest event waiting to be published occurred (None: none waits); read
        from the unpublished index, so it costs one short read however long the outbox."""
        ...

    async def prune(self, published_before: datetime) -> int:
        """Drop rows published before the given time; how many (a store that expires them
        by itself answers 0)."""
        ...


class StreamedOutbox(Protocol):
    """The outbox as a relay fed by the store's change stream sees it: the stream tells that
    an event was committed, the store which of its aggregate's events still wait."""

    async def waiting_through(self, aggregate_id: str, event_id: str) -> list[EventMessage]:
        """The aggregate's events not yet published, up to and including `event_id`, oldest
        first (the order the polling relay publishes them in); read consistently."""
        ...

    async def mark_event_published(self, message: EventMessage, at: datetime) -> bool:
        """Mark one event published, so the polling relay never sends it, unless it already
        is (the poller or an earlier delivery of the stream did); whether this call did."""
        ...


class DeadLetters(Protocol):
    """Messages consumers gave up on, with their last error. Written in its own
    transaction (the consumer's failed one was rolled back)."""

    async def park(self, letter: DeadLetter) -> None:
        """Store it; parking the same consumer's event again updates attempts and error."""
        ...

    async def get(self, letter_id: str) -> DeadLetter | None: ...

    async def page(
        self, *, consumer: str | None, include_replayed: bool, cursor: str | None, limit: int
    ) -> Page[DeadLetter]: ...

    async def claim_replay(self, letter_id: str, at: datetime) -> bool:
        """Mark it replayed at `at` unless it already is, in one conditional write; whether
        this call did (so of concurrent replays exactly one goes on to apply it)."""
        ...

    async def note_failed_replay(self, letter_id: str, error: str, at: datetime) -> None:
        """Record the replay's new error and park it again (unclaimed, replayable)."""
        ...

    async def waiting(self) -> int:
        """How many letters wait for an operator (parked and not replayed)."""
        ...
