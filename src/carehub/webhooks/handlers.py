"""Reactions to events: every event becomes a pending delivery for each subscription that
wants it (the worker sends them: `WebhookService.deliver_due`)."""

from __future__ import annotations

import orjson

from carehub.kernel.clock import Clock
from carehub.kernel.events import EventMessage
from carehub.kernel.ids import new_id
from carehub.webhooks.model import DeliveryStatus, WebhookDelivery
from carehub.webhooks.ports import WebhooksUnitOfWork


class QueueDeliveries:
    """Queues one delivery of an event per active subscription that wants its type.

    It writes in the unit of work it is given and leaves committing to the caller (the
    consumer runner, which records the event as processed in the same transaction).
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, message: EventMessage, uow: WebhooksUnitOfWork) -> None:
        subscriptions = [s for s in await uow.webhooks.active() if s.wants(message.event_type)]
        if not subscriptions:
            return
        now = self._clock.now()
        # The envelope carries ids and codes only; it is signed exactly as stored.
        body = orjson.dumps(message.to_json()).decode()
        await uow.webhooks.queue(
            [
                WebhookDelivery(
                    id=new_id(),
                    subscription_id=subscription.id,
                    event_id=message.event_id,
                    event_type=message.event_type,
                    body=body,
                    status=DeliveryStatus.PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    traceparent=message.trace_context.get("traceparent"),
                )
                for subscription in subscriptions
            ]
        )
