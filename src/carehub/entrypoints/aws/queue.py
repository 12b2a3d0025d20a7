"""A consumer on Lambda: its SQS queue's batches, applied as `ConsumerRunner` applies them.

`CAREHUB_CONSUMER` names the consumer (`bookings-CL`, `notices`, ...). Each record is read
as the broker's subscription reads a message, and applied once (the processed record and
the effect commit together), retried with the runner's backoff, or parked as a dead letter
once its attempts are spent. The answer reports partial batch failures (the function's
event source mapping has `ReportBatchItemFailures` on): Lambda deletes every other record,
so one poison message never runs the batch again.

The queues are FIFO, with one message group per aggregate: after a record of a group
fails, the group's later records are reported failed unapplied, so they come again after
it, in order. A record that does not decode is reported failed and left to SQS, which moves
it to the consumer's dead-letter queue after `max_receive_count` receives.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from carehub.bootstrap import Carehub
from carehub.bootstrap.lambda_events import UnreadableMessage, queued_delivery
from carehub.entrypoints.aws.container import CONTAINER
from carehub.events.ports import Delivery, Subscription
from carehub.events.runner import ConsumerRunner

log = logging.getLogger("carehub.aws.queue")

BatchResponse = dict[str, list[dict[str, str]]]


def handler(event: Mapping[str, Any], context: Any) -> BatchResponse:
    """Apply an SQS batch; the records to deliver again."""
    return CONTAINER.run(lambda carehub: consume(carehub, event["Records"]))


async def consume(carehub: Carehub, records: Sequence[Mapping[str, Any]]) -> BatchResponse:
    """Apply the records with the consumer `CAREHUB_CONSUMER` names, each message group in
    order and the groups side by side."""
    runner = consumer_runner(carehub)
    settling = LambdaSettlement(runner.subscription)
    runner = runner.settling_with(settling)
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        groups.setdefault(_message_group(record), []).append(record)
    outcomes = await asyncio.gather(
        *(_in_order(runner, settling, group) for group in groups.values())
    )
    failed = {message_id for outcome in outcomes for message_id in outcome}
    return {
        "batchItemFailures": [
            {"itemIdentifier": str(r["messageId"])} for r in records if r["messageId"] in failed
        ]
    }


def consumer_runner(carehub: Carehub) -> ConsumerRunner:
    """The runner of the consumer `CAREHUB_CONSUMER` names (refused when none does)."""
    name = carehub.settings.consumer
    if name is None:
        raise ValueError("CAREHUB_CONSUMER must name the consumer this function runs")
    for runner in carehub.events.runners:
        if runner.name == name:
            return runner
    known = ", ".join(sorted(runner.name for runner in carehub.events.runners))
    raise ValueError(f"CAREHUB_CONSUMER names no consumer; known: {known}")


def _message_group(record: Mapping[str, Any]) -> str:
    """The record's FIFO message group (its aggregate); a record of a standard queue is a
    group of its own."""
    attributes = record.get("attributes") or {}
    return str(attributes.get("MessageGroupId") or record["messageId"])


async def _in_order(
    runner: ConsumerRunner, settling: LambdaSettlement, records: list[Mapping[str, Any]]
) -> list[str]:
    """Apply one message group's records in order; the ids of those to deliver again."""
    for index, record in enumerate(records):
        message_id = str(record["messageId"])
        attributes = record.get("attributes") or {}
        try:
            delivery = queued_delivery(
                str(record["body"]),
                receipt=str(record["receiptHandle"]),
                receive_count=attributes.get("ApproximateReceiveCount", "1"),
                attributes=record.get("messageAttributes"),
            )
        except UnreadableMessage:
            log.warning("consumer %s got an unreadable message %s", runner.name, message_id)
            return [str(r["messageId"]) for r in records[index:]]
        if not runner.consumer.spec.wants(delivery.message):
            continue  # the subscription filter should have kept it out; Lambda deletes it
        await runner.handle_one(delivery)
        if settling.put_back(delivery):
            return [str(r["messageId"]) for r in records[index:]]
    return []


class LambdaSettlement:
    """The subscription a Lambda's runner settles with. Lambda deletes the records it is not
    told failed, so an acknowledgement needs no call; a retry makes the message visible
    again after the runner's backoff (through the queue's own subscription) and is noted,
    to be reported failed."""

    def __init__(self, queue: Subscription) -> None:
        self._queue = queue
        self._put_back: set[str] = set()

    async def receive(self, max_messages: int, wait_seconds: float) -> list[Delivery]:
        raise NotImplementedError("Lambda hands the batch over: nothing is received here")

    async def ack(self, delivery: Delivery) -> None:
        return None

    async def retry_later(self, delivery: Delivery, delay_seconds: float) -> None:
        self._put_back.add(delivery.receipt)
        await self._queue.retry_later(delivery, delay_seconds)

    def put_back(self, delivery: Delivery) -> bool:
        """Whether the delivery is to come again."""
        return delivery.receipt in self._put_back
