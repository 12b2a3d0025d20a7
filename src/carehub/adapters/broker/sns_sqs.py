"""The SNS + SQS broker: one SNS FIFO topic per event family, one SQS FIFO queue per consumer.

Configured by a URL whose options are all in the query:

    sqs://?region=eu-west-1&prefix=carehub&max_receive_count=10

- `region`: the AWS region (default: the `region` argument, else boto3's own lookup).
- `prefix`: starts every topic and queue name (default `carehub`; letters, digits, `-`, `_`).
- `max_receive_count`: deliveries after which SQS moves a message to the consumer's
  dead-letter queue (default 10; carehub's own dead-letter store takes it after 5 failed
  attempts, so SQS's is the backstop for consumers that die while processing).

Credentials come from boto3's usual chain (environment, profile, task or instance role),
never from the URL.

Topics are `{prefix}-events-{family}.fifo`; a consumer reads `{prefix}-{name}.fifo`, with
`{prefix}-{name}-dlq.fifo` behind it, subscribed to its families' topics with a filter on
the `event_type` (and `country_id`) message attributes. FIFO keeps the events of one
aggregate (the message group) in order from publish to consumer, and SQS holds back an
aggregate's later events while an earlier one is being processed or waits for a retry.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import boto3
import orjson
import structlog
from botocore.config import Config
from botocore.exceptions import ClientError

from carehub.adapters.aws.errors import aws_error_code
from carehub.adapters.broker.sns_sqs_layout import (
    TRACE_HEADERS,
    Layout,
    dead_letter_attributes,
    publish_batches,
    publish_entry,
    queue_attributes,
    subscription_attributes,
)
from carehub.events.model import ConsumerSpec
from carehub.events.ports import Delivery
from carehub.kernel.events import EventMessage

log = structlog.get_logger("carehub.broker")

T = TypeVar("T")

MAX_VISIBILITY_SECONDS = 12 * 60 * 60  # SQS's limit
_LONG_POLL_SECONDS = 20  # SQS's limit
_RECEIVE_BATCH = 10  # SQS's limit
# A trace header longer than this is not one (W3C caps tracestate at 512 characters).
_TRACE_HEADER_MAX = 1024
_THREADS = 16  # also the HTTP connections per client, so no call waits for one
# A receipt that is no longer valid: its visibility timeout passed and the message went
# (or will go) to another consumer, which is what the port expects anyway.
_STALE_RECEIPT = frozenset({"ReceiptHandleIsInvalid", "MessageNotInflight"})


class PublishFailed(Exception):
    """SNS refused some messages of a batch; the relay publishes the batch again."""


class _Aws:
    """The SNS and SQS clients. Their blocking calls run on threads of the broker's own, so
    that 20-second long polls hold up neither the event loop nor the default executor."""

    def __init__(self, sns: Any, sqs: Any, threads: int) -> None:
        self.sns = sns
        self.sqs = sqs
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="carehub-aws")

    async def run(self, call: Callable[[], T]) -> T:
        # A cancelled long poll keeps running on its thread; what it receives comes back
        # to the queue after the visibility timeout.
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.sns.close()
        self.sqs.close()


class SnsSqsBroker:
    """Publishes to one SNS FIFO topic per event family; each consumer has its SQS queue."""

    # A batch can fail part-way: the next one waits until it went through, to keep order.
    max_in_flight = 1

    def __init__(
        self,
        sns: Any,
        sqs: Any,
        *,
        prefix: str = "carehub",
        visibility_timeout: float = 30.0,
        max_receive_count: int = 10,
        threads: int = _THREADS,
    ) -> None:
        if not 1 <= max_receive_count <= 1000:
            raise ValueError("max_receive_count must be between 1 and 1000")
        self._layout = Layout(prefix)
        self._aws = _Aws(sns, sqs, threads)
        self._visibility_timeout = min(
            MAX_VISIBILITY_SECONDS, max(1, math.ceil(visibility_timeout))
        )
        self._max_receive_count = max_receive_count
        self._topic_arns: dict[str, str] = {}  # family -> ARN
        self._queue_urls: dict[str, str] = {}  # consumer name -> URL

    async def declare(self, consumers: Sequence[ConsumerSpec]) -> None:
        """Create the topics, queues and subscriptions; safe to run again and again."""
        for spec in consumers:
            await self._aws.run(partial(self._declare, spec))

    async def publish(self, messages: Sequence[EventMessage]) -> None:
        """Publish in order per family; raises `PublishFailed` if SNS refused any message."""
        by_family: dict[str, list[EventMessage]] = {}
        for message in messages:
            by_family.setdefault(message.family, []).append(message)
        # Families have topics of their own, so their order among each other does not matter.
        await asyncio.gather(
            *(self._aws.run(partial(self._publish, f, batch)) for f, batch in by_family.items())
        )

    def subscription(self, consumer: ConsumerSpec) -> SnsSqsSubscription:
        """The consumer's queue (declared here or by another process)."""
        name = self._layout.queue(consumer.name)
        return SnsSqsSubscription(self._aws, consumer, name, self._queue_urls.get(consumer.name))

    async def depths(self, consumers: Sequence[ConsumerSpec]) -> dict[str, int]:
        """Each consumer's queue's `ApproximateNumberOfMessages` (visible, waiting) plus
        `...NotVisible` (received, not yet deleted): one GetQueueAttributes a queue."""
        depths: dict[str, int] = {}
        for spec in consumers:
            url = self._queue_urls.get(spec.name) or await self._queue_url_of(spec.name)
            if url is None:
                continue
            found = await self._aws.run(
                partial(
                    self._aws.sqs.get_queue_attributes,
                    QueueUrl=url,
                    AttributeNames=[
                        "ApproximateNumberOfMessages",
                        "ApproximateNumberOfMessagesNotVisible",
                    ],
                )
            )
            attributes = found.get("Attributes", {})
            depths[spec.name] = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
                attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
            )
        return depths

    async def _queue_url_of(self, consumer: str) -> str | None:
        """The URL of a queue another process declared (remembered), None if none is."""
        try:
            found = await self._aws.run(
                partial(self._aws.sqs.get_queue_url, QueueName=self._layout.queue(consumer))
            )
        except ClientError:
            return None
        url = str(found["QueueUrl"])
        self._queue_urls[consumer] = url
        return url

    async def close(self) -> None:
        self._aws.close()

    def _declare(self, spec: ConsumerSpec) -> None:
        families = sorted(spec.families)
        topics = {family: self._topic_arn(family) for family in families}
        dlq_url, dlq_arn = self._create_queue(self._layout.dead_letter_queue(spec.name))
        self._set_queue_attributes(dlq_url, dead_letter_attributes())
        url, arn = self._create_queue(self._layout.queue(spec.name))
        attributes = queue_attributes(
            arn, list(topics.values()), dlq_arn, self._visibility_timeout, self._max_receive_count
        )
        # Before subscribing: the queue policy is what lets the topics deliver.
        self._set_queue_attributes(url, attributes)
        for family, topic in topics.items():
            self._subscribe(topic, arn, subscription_attributes(spec, family))
        self._queue_urls[spec.name] = url

    def _topic_arn(self, family: str) -> str:
        # Created on first use, so that events nobody listens to yet can still be published.
        arn = self._topic_arns.get(family)
        if arn is None:
            name = self._layout.topic(family)
            arn = str(
                self._aws.sns.create_topic(Name=name, Attributes={"FifoTopic": "true"})["TopicArn"]
            )
            self._topic_arns[family] = arn
        return arn

    def _create_queue(self, name: str) -> tuple[str, str]:
        """URL and ARN. Only the fixed attribute goes with `create_queue`, which fails when
        an existing queue differs; the others are set afterwards, so settings can change."""
        url = self._aws.sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"})[
            "QueueUrl"
        ]
        found = self._aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(url), str(found["Attributes"]["QueueArn"])

    def _set_queue_attributes(self, url: str, wanted: dict[str, str]) -> None:
        """Set what differs (only: declaring again should change nothing)."""
        sqs = self._aws.sqs
        current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(wanted))
        changed = _changes(current.get("Attributes", {}), wanted)
        if changed:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=changed)

    def _subscribe(self, topic_arn: str, queue_arn: str, attributes: dict[str, str]) -> None:
        """Subscribe the queue, or bring its subscription up to date: SNS refuses to
        subscribe again with other attributes (a consumer that now wants more types)."""
        sns = self._aws.sns
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
            for found in page["Subscriptions"]:
                if found["Protocol"] == "sqs" and found["Endpoint"] == queue_arn:
                    arn = found["SubscriptionArn"]
                    current = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
                    for name, value in _changes(current, attributes).items():
                        sns.set_subscription_attributes(
                            SubscriptionArn=arn, AttributeName=name, AttributeValue=value
                        )
                    return
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )

    def _publish(self, family: str, messages: list[EventMessage]) -> None:
        topic = self._topic_arn(family)
        entries = [publish_entry(str(i), message) for i, message in enumerate(messages)]
        for batch in publish_batches(entries):
            response = self._aws.sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=batch)
            failed = response.get("Failed") or []
            if failed:
                # The rest of this family stays unpublished: a retry then keeps the order.
                reasons = ", ".join(_refusal(f, messages) for f in failed)
                raise PublishFailed(f"SNS refused {len(failed)} of {len(batch)} events: {reasons}")


def _changes(current: dict[str, str], wanted: dict[str, str]) -> dict[str, str]:
    """The wanted attributes whose current value differs (JSON ones compared as JSON:
    AWS may give a policy back spaced differently)."""
    return {name: value for name, value in wanted.items() if not _same(current.get(name), value)}


def _same(current: str | None, wanted: str) -> bool:
    if current is None:
        return False
    try:
        return bool(json.loads(current) == json.loads(wanted))
    except ValueError:
        return current == wanted


def _refusal(failed: dict[str, Any], messages: list[EventMessage]) -> str:
    """Which event SNS refused and why: the event's id, SNS's code and reason (the event's
    content stays out of errors and logs)."""
    event_id = messages[int(failed["Id"])].event_id
    return f"{event_id}: {failed.get('Code')} {str(failed.get('Message', ''))[:120]}".rstrip()


class UnreadableMessage(ValueError):
    """A queued message whose body is not an event as the topics send it."""


def queued_delivery(
    body: str,
    *,
    receipt: str,
    receive_count: str | int,
    attributes: Mapping[str, Any] | None = None,
) -> Delivery:
    """The delivery one SQS message of a consumer's queue makes (the topics deliver raw, so
    the body is the event's JSON, and its message attributes carry the trace context); read
    alike from `ReceiveMessage` and from a Lambda's SQS batch (whose attributes spell
    `stringValue`). Raises `UnreadableMessage` when the body is not an event."""
    try:
        message = EventMessage.from_json(orjson.loads(body))
        attempt = int(receive_count)
    except (ValueError, KeyError, TypeError):
        raise UnreadableMessage() from None
    message.trace_context.update(_trace_context(attributes or {}))
    return Delivery(message, attempt, receipt)


def _trace_context(attributes: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in TRACE_HEADERS:
        attribute = attributes.get(header)
        if isinstance(attribute, Mapping):
            value = attribute.get("StringValue", attribute.get("stringValue"))
            if isinstance(value, str) and len(value) <= _TRACE_HEADER_MAX:
                found[header] = value
    return found


class SnsSqsSubscription:
    """One consumer's SQS FIFO queue."""

    def __init__(self, aws: _Aws, spec: ConsumerSpec, queue_name: str, url: str | None) -> None:
        self.spec = spec
        self._aws = aws
        self._queue_name = queue_name
        self._url = url

    async def receive(self, max_messages: int, wait_seconds: float) -> list[Delivery]:
        """Up to `max_messages` (at most 10) deliveries; long polls for whole seconds."""
        long_poll = min(int(wait_seconds), _LONG_POLL_SECONDS)
        received = await self._poll(max_messages, long_poll)
        if not received and long_poll == 0 and wait_seconds > 0:
            # SQS waits in whole seconds: sit out a shorter wait here, then look once more.
            await asyncio.sleep(wait_seconds)
            received = await self._poll(max_messages, 0)
        deliveries = []
        for item in received:
            delivery = await self._accept(item)
            if delivery is not None:
                deliveries.append(delivery)
        return deliveries

    async def ack(self, delivery: Delivery) -> None:
        """Delete the message from the queue."""
        url = await self._queue_url()
        call = partial(self._aws.sqs.delete_message, QueueUrl=url, ReceiptHandle=delivery.receipt)
        await self._unless_stale(call, "ack")

    async def retry_later(self, delivery: Delivery, delay_seconds: float) -> None:
        """Make the message visible again after the delay (whole seconds, at most 12 h)."""
        seconds = min(MAX_VISIBILITY_SECONDS, max(0, math.ceil(delay_seconds)))
        url = await self._queue_url()
        call = partial(
            self._aws.sqs.change_message_visibility,
            QueueUrl=url,
            ReceiptHandle=delivery.receipt,
            VisibilityTimeout=seconds,
        )
        await self._unless_stale(call, "retry_later")

    async def _poll(self, max_messages: int, wait_seconds: int) -> list[dict[str, Any]]:
        url = await self._queue_url()
        response = await self._aws.run(
            partial(
                self._aws.sqs.receive_message,
                QueueUrl=url,
                MaxNumberOfMessages=max(1, min(max_messages, _RECEIVE_BATCH)),
                WaitTimeSeconds=wait_seconds,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
                MessageAttributeNames=list(TRACE_HEADERS),
            )
        )
        return list(response.get("Messages", []))

    async def _accept(self, item: dict[str, Any]) -> Delivery | None:
        receive_count = item.get("Attributes", {}).get("ApproximateReceiveCount", "1")
        try:
            delivery = queued_delivery(
                item["Body"],
                receipt=str(item["ReceiptHandle"]),
                receive_count=receive_count,
                attributes=item.get("MessageAttributes"),
            )
        except UnreadableMessage:
            # Left alone: after max_receive_count deliveries SQS moves it to the DLQ.
            log.warning("broker.unreadable_message", queue=self._queue_name, id=item["MessageId"])
            return None
        message = delivery.message
        if not self.spec.wants(message):
            # The subscription filter should have kept it out; this consumer never sees it.
            await self.ack(delivery)
            return None
        return delivery

    async def _queue_url(self) -> str:
        if self._url is None:
            found = await self._aws.run(
                partial(self._aws.sqs.get_queue_url, QueueName=self._queue_name)
            )
            self._url = str(found["QueueUrl"])
        return self._url

    async def _unless_stale(self, call: Callable[[], Any], action: str) -> None:
        try:
            await self._aws.run(call)
        except ClientError as exc:
            if aws_error_code(exc) not in _STALE_RECEIPT:
                raise
            log.warning("broker.stale_receipt", queue=self._queue_name, action=action)


def sqs_broker_from_url(
    url: str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    prefix: str = "carehub",
    visibility_timeout: float = 30.0,
) -> SnsSqsBroker:
    """A broker for `sqs://?region=eu-west-1&prefix=carehub&max_receive_count=10` (the
    URL's options win over the keyword arguments)."""
    parts = urlsplit(url)
    if parts.scheme != "sqs":
        raise ValueError(f"broker URL scheme must be sqs, not {parts.scheme!r}")
    if parts.netloc or parts.path.strip("/"):
        raise ValueError("broker URL takes its settings as query options: sqs://?region=...")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(options) - {"region", "prefix", "max_receive_count"}
    if unknown:
        raise ValueError(f"broker URL has unknown options: {sorted(unknown)}")
    session = boto3.session.Session(region_name=options.get("region", region))
    config = Config(retries={"mode": "standard"}, max_pool_connections=_THREADS)
    return SnsSqsBroker(
        session.client("sns", endpoint_url=endpoint_url, config=config),
        session.client("sqs", endpoint_url=endpoint_url, config=config),
        prefix=options.get("prefix", prefix),
        visibility_timeout=visibility_timeout,
        max_receive_count=int(options.get("max_receive_count", "10")),
    )
