"""What the SNS + SQS broker creates and sends: names, attributes, policies, publish entries."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from carehub.events.model import ConsumerSpec
from carehub.kernel.events import EventMessage

_NAME = re.compile(r"[A-Za-z0-9_-]+")
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_-]")
_PREFIX = re.compile(r"[A-Za-z0-9_-]{1,40}")
# SQS allows 80 characters, and the dead-letter queue adds "-dlq.fifo" to the base name.
_QUEUE_BASE_MAX = 80 - len("-dlq.fifo")
_TOPIC_FAMILY_MAX = 200  # SNS allows 256 characters in all
_DEAD_LETTER_RETENTION = 14 * 24 * 60 * 60  # SQS's longest: time for someone to look
# SNS's limits on one PublishBatch call.
_BATCH_ENTRIES = 10
_BATCH_BYTES = 256 * 1024


class Layout:
    """The names of the topics and queues under one prefix."""

    def __init__(self, prefix: str) -> None:
        if not _PREFIX.fullmatch(prefix):
            raise ValueError("prefix must be 1 to 40 letters, digits, '-' or '_'")
        self.prefix = prefix

    def topic(self, family: str) -> str:
        return f"{self.prefix}-events-{_fit(family, _TOPIC_FAMILY_MAX)}.fifo"

    def queue(self, consumer: str) -> str:
        return f"{self._base(consumer)}.fifo"

    def dead_letter_queue(self, consumer: str) -> str:
        return f"{self._base(consumer)}-dlq.fifo"

    def _base(self, consumer: str) -> str:
        return _fit(f"{self.prefix}-{consumer}", _QUEUE_BASE_MAX)


def _fit(name: str, limit: int) -> str:
    """`name` itself if AWS accepts it; else cleaned and cut, with a hash of the original
    appended so that two consumers never end up sharing a queue."""
    if _NAME.fullmatch(name) and len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{_NOT_IN_NAME.sub('-', name)[: limit - len(digest) - 1]}-{digest}"


def queue_attributes(
    queue_arn: str,
    topic_arns: Sequence[str],
    dead_letter_arn: str,
    visibility_timeout: int,
    max_receive_count: int,
) -> dict[str, str]:
    """A consumer queue's settings: visibility, dead-letter queue, who may send to it."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "carehub-event-topics",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": sorted(topic_arns)}},
            }
        ],
    }
    redrive = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count}
    return {
        "VisibilityTimeout": str(visibility_timeout),
        "RedrivePolicy": json.dumps(redrive),
        "Policy": json.dumps(policy),
    }


def dead_letter_attributes() -> dict[str, str]:
    return {"MessageRetentionPeriod": str(_DEAD_LETTER_RETENTION)}


def subscription_attributes(spec: ConsumerSpec, family: str) -> dict[str, str]:
    """The queue's subscription to one family's topic: the consumer's types (and country)."""
    wanted: dict[str, list[Any]] = {
        "event_type": sorted(t for t in spec.event_types if t.split(".", 1)[0] == family)
    }
    if spec.country_id is not None:
        wanted["country_id"] = [spec.country_id]
    elif spec.other_countries:
        wanted["country_id"] = [{"anything-but": sorted(spec.other_countries)}]
    return {
        "RawMessageDelivery": "true",  # the body is our envelope, not SNS's wrapping of it
        "FilterPolicyScope": "MessageAttributes",  # first: the policy is read against it
        "FilterPolicy": json.dumps(wanted),
    }


# The W3C trace context's headers, carried as message attributes of the same names.
TRACE_HEADERS = ("traceparent", "tracestate")


def publish_entry(entry_id: str, message: EventMessage) -> dict[str, Any]:
    """One PublishBatch entry: the JSON envelope, with what subscriptions filter on."""
    attributes = {"event_type": _string(message.event_type)}
    country = message.payload.get("countryId")
    if isinstance(country, str) and country:
        attributes["country_id"] = _string(country)
    for header in TRACE_HEADERS:  # the trace goes with it, beside the envelope
        if value := message.trace_context.get(header):
            attributes[header] = _string(value)
    return {
        "Id": entry_id,
        "Message": orjson.dumps(message.to_json()).decode(),
        "MessageAttributes": attributes,
        "MessageGroupId": message.aggregate_id,  # FIFO order holds per aggregate
        "MessageDeduplicationId": message.event_id,  # a batch published again is not doubled
    }


def publish_batches(entries: Sequence[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The entries, in order, in batches SNS accepts (count and total size)."""
    batch: list[dict[str, Any]] = []
    size = 0
    for entry in entries:
        entry_size = _size(entry)
        if batch and (len(batch) == _BATCH_ENTRIES or size + entry_size > _BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += entry_size
    if batch:
        yield batch


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def _size(entry: dict[str, Any]) -> int:
    attributes = entry["MessageAttributes"].items()
    return len(entry["Message"].encode()) + sum(
        len(name) + len(value["DataType"]) + len(value["StringValue"].encode())
        for name, value in attributes
    )
