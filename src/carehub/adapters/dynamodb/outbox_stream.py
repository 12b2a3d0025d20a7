"""The table's stream records, turned into what the stream-fed relay publishes.

A Lambda triggered by the table's stream gets `{"Records": [...]}`; a reader of the
stream gets the same records from `GetRecords`. Per record the shape is the same
(`eventName`, and under `dynamodb` the `Keys`, the `NewImage` in DynamoDB's attribute
format and the `SequenceNumber`), so one decoder serves both. Only inserts of outbox items
matter: an outbox item is written once and then only marked published (a `MODIFY`) or
expired (a `REMOVE`), and every other item of the table is someone else's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from carehub.adapters.dynamodb.items import from_wire
from carehub.adapters.dynamodb.outbox import OUTBOX_EVENT_KIND, message_from_item, outbox_partition
from carehub.events.model import describe_error
from carehub.events.stream_relay import (
    StreamBatchReport,
    StreamedEvent,
    StreamRecord,
    StreamRelay,
    UnreadableRecord,
)

_OUTBOX_PARTITION = outbox_partition("")


async def relay_from_stream_records(
    records: Iterable[Mapping[str, Any]], relay: StreamRelay
) -> StreamBatchReport:
    """Publish the outbox events a batch of the table's stream records reports (Lambda's
    `event["Records"]`, or `GetRecords`' `Records`); which records to deliver again."""
    return await relay.relay(outbox_records(records))


def partial_batch_response(report: StreamBatchReport) -> dict[str, list[dict[str, str]]]:
    """A Lambda's answer for its stream batch (with `ReportBatchItemFailures` on): Lambda
    delivers the batch again from the first failed record that may yet be relayed."""
    failures = report.to_deliver_again
    return {"batchItemFailures": [{"itemIdentifier": position} for position in failures]}


def outbox_records(records: Iterable[Mapping[str, Any]]) -> list[StreamRecord]:
    """The batch's outbox inserts, decoded, in stream order; an insert that does not decode
    comes back as an `UnreadableRecord` (reported failed, never dropped)."""
    decoded: list[StreamRecord] = []
    for record in records:
        change = record.get("dynamodb") or {}
        position = change.get("SequenceNumber")
        if not isinstance(position, str):
            raise ValueError("a record without a SequenceNumber: not a DynamoDB stream batch")
        if record.get("eventName") != "INSERT":
            continue
        image = change.get("NewImage")
        if image is None:
            # A stream without images (not `NEW_IMAGE`): an outbox insert cannot be relayed.
            if _aggregate_named(change) is not None:
                missing = "the stream record carries no NewImage"
                decoded.append(UnreadableRecord(position, _aggregate_named(change), missing))
            continue
        if image.get("kind") != {"S": OUTBOX_EVENT_KIND}:
            continue
        try:
            message = message_from_item(from_wire(image))
        except Exception as exc:
            error = describe_error(exc)
            decoded.append(UnreadableRecord(position, _aggregate_named(change), error))
        else:
            decoded.append(StreamedEvent(position, message))
    return decoded


def _aggregate_named(change: Mapping[str, Any]) -> str | None:
    """The aggregate an outbox item's key names (`OUTBOX#{aggregate}`), if it is one's."""
    for attributes in (change.get("Keys"), change.get("NewImage")):
        partition = (attributes or {}).get("PK", {}).get("S")
        if isinstance(partition, str) and partition.startswith(_OUTBOX_PARTITION):
            return partition.removeprefix(_OUTBOX_PARTITION)
    return None
