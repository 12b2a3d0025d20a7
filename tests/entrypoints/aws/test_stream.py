"""The outbox relay on Lambda: the table's own stream records, relayed to the broker."""

from __future__ import annotations

import json
from typing import Any

import pytest

from carehub.bootstrap import Carehub
from carehub.entrypoints.aws import stream
from carehub.entrypoints.aws.container import CONTAINER
from tests.entrypoints.aws.api import LambdaApi
from tests.entrypoints.aws.conftest import LambdaWorld
from tests.entrypoints.aws.queued import received_batch
from tests.support.moto import aws_client

pytestmark = pytest.mark.aws
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/carehub/stream/2024-01-01T00:00:00.000"


def stream_records(world: LambdaWorld) -> list[dict[str, Any]]:
    """Every record of the table's stream, as Lambda's event source mapping hands them."""
    table = aws_client("dynamodb", world.endpoint).describe_table(TableName=world.table)
    arn = table["Table"]["LatestStreamArn"]
    streams = aws_client("dynamodbstreams", world.endpoint)
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    return [{**record, "eventSourceARN": arn} for record in records]


def poison_record(aggregate_id: str) -> dict[str, Any]:
    """An outbox insert whose image lacks the event's fields."""
    keys = {"PK": {"S": f"OUTBOX#{aggregate_id}"}, "SK": {"S": "EVENT#x"}}
    return {
        "eventID": "c4ca4238a0b923820dcc509a6f75849b",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": keys,
            "NewImage": {**keys, "kind": {"S": "outbox-event"}},
            "SequenceNumber": "999999999999999999999",
            "SizeBytes": 26,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": STREAM_ARN,
    }


def test_a_registration_reaches_the_consumers_queue_past_a_poison_record(
    lambda_world: LambdaWorld,
) -> None:
    patient_id = LambdaApi().patient()
    records = stream_records(lambda_world)
    assert any(r["eventName"] == "INSERT" for r in records)

    response = stream.handler({"Records": [*records, poison_record("elsewhere")]}, None)

    # The poison record can never be relayed: logged and left behind, not retried forever.
    assert response == {"batchItemFailures": []}
    queued = received_batch(lambda_world, "analytics", expected=1)["Records"]
    assert [json.loads(r["body"])["aggregateId"] for r in queued] == [patient_id]

    async def waiting(carehub: Carehub) -> int:
        return await carehub.events.outbox.backlog()

    assert CONTAINER.run(waiting) == 0
    # The stream delivers at least once: the same batch again publishes nothing more.
    assert stream.handler({"Records": records}, None) == {"batchItemFailures": []}


def test_records_whose_events_could_not_be_published_are_delivered_again(
    lambda_world: LambdaWorld,
) -> None:
    api = LambdaApi()
    api.patient()
    # A first batch relayed: the container knows the patients' topic from now on.
    relayed = stream_records(lambda_world)
    assert stream.handler({"Records": relayed}, None) == {"batchItemFailures": []}
    api.patient(new_country=False)
    sns = aws_client("sns", lambda_world.endpoint)
    # SNS loses the patients' topic: their events cannot be published now.
    # (Every page of the listing: the session's moto holds many other tests' topics.)
    topics = [t for page in sns.get_paginator("list_topics").paginate() for t in page["Topics"]]
    [lost] = [
        t for t in topics if t["TopicArn"].endswith(f"{lambda_world.prefix}-events-patients.fifo")
    ]
    sns.delete_topic(TopicArn=lost["TopicArn"])
    before = {record["eventID"] for record in relayed}
    records = [r for r in stream_records(lambda_world) if r["eventID"] not in before]

    response = stream.handler({"Records": records}, None)

    failed = [item["itemIdentifier"] for item in response["batchItemFailures"]]
    patients = [
        r["dynamodb"]["SequenceNumber"]
        for r in records
        if r["eventName"] == "INSERT"
        and r["dynamodb"]["NewImage"].get("event_type", {}).get("S", "").startswith("patients.")
    ]
    assert patients and set(patients) <= set(failed)
