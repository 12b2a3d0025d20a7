"""The stream-fed relay: publishes outbox events as the store's change stream reports them.

Where the store has a change stream (DynamoDB's, `NEW_IMAGE`), the stream replaces the
polling relay: a Lambda in AWS, or a reader of the stream in a local process, decodes each
batch's outbox inserts and hands them here, in stream order.

Order. Outbox items are partitioned by aggregate (`OUTBOX#{aggregate}`), and a stream
shard keeps one partition key's changes in order, so one aggregate's events written by
successive units of work arrive in the order they committed. The records of one
transaction, though, carry no order among themselves (AWS documents that they may arrive
apart and interleaved), and a unit of work may record two events of one aggregate. So a
record only says that its aggregate has news: the relay asks the store for the
aggregate's unpublished events up to the newest the batch names and publishes them oldest
first, as the polling relay does. An event published before its own record arrives is
found published then, and nothing is sent for it.

Once. An event is marked published after the broker took it, and only if nobody marked
it meanwhile, so the poller never sends it again; a record delivered twice (the stream is
at least once) or naming an event the poller sent finds nothing waiting. The one window
left (published, then a crash before the mark) sends it again, and consumers, being
idempotent, absorb the repeat.

Failures. A batch never fails whole: an aggregate whose events could not be read,
published or marked, or whose record could not be decoded (a poison record), has its
records reported failed, and every other aggregate goes through. Lambda's partial batch
response then delivers again from the first failed record; the records after it find
their events published. A poison record itself is not delivered again: the stream keeps
it as written, so it would fail forever and hold the stream up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from carehub.events.ports import Broker, StreamedOutbox
from carehub.kernel.clock import Clock
from carehub.kernel.events import EventMessage
from carehub.kernel.metrics import NO_METRICS, Metrics

log = logging.getLogger("carehub.events.stream_relay")


@dataclass(frozen=True)
class StreamedEvent:
    """An outbox event as the stream reported it; `position` names its record (the stream's
    sequence number), which a failure report gives back."""

    position: str
    message: EventMessage


@dataclass(frozen=True)
class UnreadableRecord:
    """An outbox insert that could not be decoded (a poison record), with its aggregate when
    its key names one, and why (the error's type and first line, no data)."""

    position: str
    aggregate_id: str | None
    error: str


StreamRecord = StreamedEvent | UnreadableRecord


@dataclass(frozen=True)
class StreamBatchReport:
    """What relaying one batch did: how many events went to the broker, the positions of
    the records to deliver again, in stream order, and which of those can never be relayed
    (they do not decode; a reader may log them and move past them)."""

    published: int
    failed: tuple[str, ...]
    unreadable: tuple[str, ...] = ()

    @property
    def to_deliver_again(self) -> tuple[str, ...]:
        """The failed records a new delivery may relay: all but the unreadable ones, which
        are logged and left behind (delivering them again would only hold the stream up)."""
        return tuple(position for position in self.failed if position not in self.unreadable)


class StreamRelay:
    """Publishes the events a batch of stream records reports, each aggregate's in order."""

    def __init__(
        self,
        outbox: StreamedOutbox,
        broker: Broker,
        clock: Clock,
        *,
        concurrency: int = 8,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._outbox = outbox
        self._metrics = metrics
        self._broker = broker
        self._clock = clock
        # Aggregates are independent: several are relayed at once, each one in order.
        self._slots = asyncio.Semaphore(concurrency)

    async def relay(self, records: Sequence[StreamRecord]) -> StreamBatchReport:
        """Publish what the records report; which of them to deliver again."""
        by_aggregate: dict[str, list[StreamRecord]] = {}
        failed: set[str] = set()
        for record in records:
            if isinstance(record, StreamedEvent):
                by_aggregate.setdefault(record.message.aggregate_id, []).append(record)
            elif record.aggregate_id is not None:
                by_aggregate.setdefault(record.aggregate_id, []).append(record)
            else:  # a poison record that names no aggregate holds none back
                _log_unreadable(record)
                failed.add(record.position)
        groups = list(by_aggregate.items())
        outcomes = await asyncio.gather(*(self._relay_aggregate(a, g) for a, g in groups))
        published = 0
        for (_, group), outcome in zip(groups, outcomes, strict=True):
            if outcome is None:
                failed.update(record.position for record in group)
            else:
                published += outcome
        self._metrics.events_published(published)
        return StreamBatchReport(
            published=published,
            failed=tuple(record.position for record in records if record.position in failed),
            unreadable=tuple(r.position for r in records if isinstance(r, UnreadableRecord)),
        )

    async def _relay_aggregate(self, aggregate_id: str, records: list[StreamRecord]) -> int | None:
        """Publish the aggregate's waiting events up to the newest the records name; how many,
        or None when its records must be delivered again."""
        events: list[StreamedEvent] = []
        for record in records:
            if isinstance(record, UnreadableRecord):
                # Its event may come before the others: none of them may overtake it.
                _log_unreadable(record)
                return None
            events.append(record)
        newest = max(event.message.event_id for event in events)
        async with self._slots:
            try:
                waiting = await self._outbox.waiting_through(aggregate_id, newest)
                if waiting:
                    await self._broker.publish(waiting)
                    at = self._clock.now()
                    for message in waiting:
                        await self._outbox.mark_event_published(message, at)
            except Exception:
                log.exception(
                    "relaying %d streamed events failed; their records are delivered again",
                    len(events),
                )
                return None
        return len(waiting)


def _log_unreadable(record: UnreadableRecord) -> None:
    log.error("outbox record %s could not be read: %s", record.position, record.error)
