"""Decoding the table's stream records (the Lambda and `GetRecords` shape), and the order
in which the stream reader takes shards."""

from __future__ import annotations

import json
from typing import Any

import pytest

from carehub.adapters.dynamodb.items import to_wire
from carehub.adapters.dynamodb.outbox import OUTBOX_EVENT_KIND
from carehub.adapters.dynamodb.outbox_stream import outbox_records
from carehub.adapters.dynamodb.stream_reader import readable_shards
from carehub.events.stream_relay import StreamedEvent, UnreadableRecord

EVENT_ID = "01a24adf-1a0a-7141-8cbc-d86a8a7a65f8"


def outbox_item(**changes: Any) -> dict[str, Any]:
    item = {
        "PK": "OUTBOX#patient-1",
        "SK": f"EVENT#{EVENT_ID}",
        "kind": OUTBOX_EVENT_KIND,
        "event_id": EVENT_ID,
        "event_type": "patients.patient_registered.v1",
        "aggregate_id": "patient-1",
        "actor_id": "user-1",
        "occurred_at": "2031-03-10T08:00:00.000000Z",
        "payload": json.dumps({"patientId": "patient-1", "countryId": "PE"}),
        "GSI1PK": "OUTBOX_UNPUBLISHED#03",
        "GSI1SK": EVENT_ID,
        "version": 1,  # a number attribute, as Lambda sends it: {"N": "1"}
    }
    item.update(changes)
    return item


def record(
    sequence: str, item: dict[str, Any] | None, event_name: str = "INSERT"
) -> dict[str, Any]:
    """A stream record as a Lambda gets it (`GetRecords` differs only in its time type)."""
    key = {"PK": item["PK"], "SK": item["SK"]} if item else {"PK": "OUTBOX#patient-1", "SK": "X"}
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": 1931590800.0,
        "Keys": to_wire(key),
        "SequenceNumber": sequence,
        "SizeBytes": 300,
        "StreamViewType": "NEW_IMAGE",
    }
    if item is not None:
        change["NewImage"] = to_wire(item)
    return {
        "eventID": "c4ca4238a0b923820dcc509a6f75849b",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": change,
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/carehub/stream/x",
    }


def test_an_outbox_insert_becomes_its_event_at_its_position() -> None:
    [decoded] = outbox_records([record("111", outbox_item())])
    assert isinstance(decoded, StreamedEvent)
    assert decoded.position == "111"
    message = decoded.message
    assert (message.event_id, message.event_type) == (EVENT_ID, "patients.patient_registered.v1")
    assert (message.aggregate_id, message.actor_id) == ("patient-1", "user-1")
    assert message.payload == {"patientId": "patient-1", "countryId": "PE"}
    assert message.occurred_at.isoformat() == "2031-03-10T08:00:00+00:00"


def test_changes_and_removals_and_other_items_are_left_out() -> None:
    published = outbox_item(published_at="2031-03-10T08:00:01.000000Z")
    patient = {"PK": "PATIENT#patient-1", "SK": "PATIENT", "kind": "patient", "data": "{}"}
    records = [
        record("1", published, "MODIFY"),
        record("2", outbox_item(), "REMOVE"),
        record("3", patient),
        record("4", outbox_item(kind="processed")),
        record("5", outbox_item()),
    ]
    assert [r.position for r in outbox_records(records)] == ["5"]


def test_an_insert_that_does_not_decode_is_kept_as_unreadable_with_its_aggregate() -> None:
    untyped = outbox_item()
    del untyped["event_type"]
    records = [
        record("1", outbox_item(payload="{not json")),
        record("2", untyped),
        record("3", outbox_item(PK="ELSEWHERE", payload="[")),
    ]
    decoded = outbox_records(records)
    assert all(isinstance(r, UnreadableRecord) for r in decoded)
    assert [(r.position, getattr(r, "aggregate_id", None)) for r in decoded] == [
        ("1", "patient-1"),
        ("2", "patient-1"),
        ("3", None),
    ]
    assert getattr(decoded[0], "error", "").startswith("JSONDecodeError")


def test_an_outbox_insert_without_its_image_is_unreadable() -> None:
    # A stream whose view type carries keys only: the event cannot be relayed, and says so.
    [decoded] = outbox_records([record("7", None)])
    assert decoded == UnreadableRecord("7", "patient-1", "the stream record carries no NewImage")


def test_a_batch_that_is_not_a_streams_is_refused() -> None:
    with pytest.raises(ValueError, match="SequenceNumber"):
        outbox_records([{"eventName": "INSERT", "body": "an SQS message"}])


def test_a_child_shard_waits_until_its_parent_is_read_to_its_end() -> None:
    parents = {"old": None, "left": "old", "right": "old", "orphan": "trimmed", "new": None}
    assert readable_shards(parents, finished=set()) == ["old", "orphan", "new"]
    assert readable_shards(parents, finished={"old"}) == ["left", "right", "orphan", "new"]
    assert readable_shards(parents, finished={"old", "left", "right"}) == ["orphan", "new"]
