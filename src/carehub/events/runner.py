"""Runs a consumer: receives its deliveries, applies each once, retries, parks the hopeless.

A delivery is applied in a unit of work that also records (consumer, event id) as
processed: the effect and that record commit together, so a redelivery (after a crash
between commit and acknowledgement, say) meets the record and changes nothing.
Deliveries of different aggregates are applied concurrently, those of one aggregate in
order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from carehub.events.model import Consumer, DeadLetter, RetryPolicy, describe_error
from carehub.events.ports import ConsumerUnitOfWork, DeadLetters, Delivery, Subscription
from carehub.kernel.clock import Clock
from carehub.kernel.events import EventMessage
from carehub.kernel.ids import new_id
from carehub.kernel.metrics import NO_METRICS, Metrics, Settled
from carehub.kernel.tracing import NO_TRACING, Attribute, Tracing

log = logging.getLogger("carehub.events.consumers")

ConsumerOf = Consumer[Any]


async def apply_once(
    consumer: ConsumerOf,
    message: EventMessage,
    new_uow: Callable[[], ConsumerUnitOfWork],
) -> bool:
    """Apply the event unless this consumer already did; returns whether it applied it.

    The effect comes first and the processed record last, in one transaction: a repeat
    fails on the record's key and its effect is rolled back with it, and an event the
    consumer has nothing to do for costs no write at all.
    """
    async with new_uow() as uow:
        await consumer.apply(message, uow)
        if not uow.has_changes():
            return True
        if not await uow.mark_processed(consumer.spec.name, message.event_id):
            return False
        await uow.commit()
    return True


class ConsumerRunner:
    """One consumer's loop over its subscription."""

    def __init__(
        self,
        consumer: ConsumerOf,
        subscription: Subscription,
        new_uow: Callable[[], ConsumerUnitOfWork],
        dead_letters: DeadLetters,
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
        batch_size: int = 100,
        wait_seconds: float = 1.0,
        metrics: Metrics = NO_METRICS,
        tracing: Tracing = NO_TRACING,
    ) -> None:
        self.consumer = consumer
        self._metrics = metrics
        self._tracing = tracing
        self._subscription = subscription
        self._new_uow = new_uow
        self._dead_letters = dead_letters
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._batch_size = batch_size
        self._wait_seconds = wait_seconds

    @property
    def name(self) -> str:
        return self.consumer.spec.name

    async def run(self, stopping: asyncio.Event) -> None:
        """Consume until `stopping` is set; the batch in hand is finished first."""
        while not stopping.is_set():
            try:
                deliveries = await self._subscription.receive(self._batch_size, self._wait_seconds)
            except Exception:
                log.exception("consumer %s could not receive", self.name)
                await asyncio.sleep(1.0)
                continue
            await self.handle(deliveries)

    async def handle(self, deliveries: Sequence[Delivery]) -> None:
        """Apply a batch: aggregates side by side, each aggregate's messages in order."""
        by_aggregate: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            by_aggregate.setdefault(delivery.message.aggregate_id, []).append(delivery)
        await asyncio.gather(*(self._in_order(group) for group in by_aggregate.values()))

    @property
    def subscription(self) -> Subscription:
        return self._subscription

    def settling_with(self, subscription: Subscription) -> ConsumerRunner:
        """This consumer, with its retries, dead letters and once-only record, settling its
        deliveries with another subscription (a Lambda's, whose batch came without asking)."""
        return ConsumerRunner(
            self.consumer,
            subscription,
            self._new_uow,
            self._dead_letters,
            self._clock,
            retry=self._retry,
            batch_size=self._batch_size,
            wait_seconds=self._wait_seconds,
            metrics=self._metrics,
            tracing=self._tracing,
        )

    async def _in_order(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            await self.handle_one(delivery)

    async def handle_one(self, delivery: Delivery) -> None:
        """Apply one delivery once, then acknowledge it, put it back for a retry, or park
        it as a dead letter once its attempts are spent. Its span continues the trace of
        the work that wrote the event."""
        message = delivery.message
        attributes: dict[str, Attribute] = {
            "messaging.consumer.group.name": self.name,
            "carehub.event_type": message.event_type,
            "carehub.attempt": delivery.attempt,
        }
        with self._tracing.continued(
            f"consume {self.name}", message.trace_context, attributes
        ) as span:
            try:
                await apply_once(self.consumer, message, self._new_uow)
            except Exception as exc:
                span.failed(exc)
                settling = self._failed(delivery, exc)
            else:
                self._metrics.delivery_settled(self.name, Settled.HANDLED)
                settling = self._subscription.ack(delivery)
            await self._settle(delivery, settling)

    async def _settle(self, delivery: Delivery, settling: Awaitable[None]) -> None:
        try:
            await settling
        except Exception:
            # The broker or the dead-letter store is unreachable: the delivery comes back
            # after its visibility timeout, and the processed record stops a second effect.
            log.exception(
                "consumer %s could not settle event %s", self.name, delivery.message.event_id
            )

    async def _failed(self, delivery: Delivery, exc: Exception) -> None:
        message = delivery.message
        log.warning(
            "consumer %s failed on event %s (%s), attempt %d",
            self.name,
            message.event_id,
            message.event_type,
            delivery.attempt,
            exc_info=exc,
        )
        if not self._retry.gives_up(delivery.attempt):
            await self._subscription.retry_later(delivery, self._retry.delay(delivery.attempt))
            self._metrics.delivery_settled(self.name, Settled.RETRIED)
            return
        letter = DeadLetter(
            letter_id=new_id(),
            consumer=self.name,
            message=message,
            attempts=delivery.attempt,
            last_error=describe_error(exc),
            parked_at=self._clock.now(),
        )
        await self._dead_letters.park(letter)
        self._metrics.delivery_settled(self.name, Settled.DEAD_LETTERED)
        log.error("consumer %s parked event %s", self.name, message.event_id)
        await self._subscription.ack(delivery)
