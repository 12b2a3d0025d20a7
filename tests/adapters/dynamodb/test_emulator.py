"""The test moto server keeps DynamoDB's transaction guarantees that the adapters rely on
(`tests.support.moto_patches`): a cancelled transaction leaves neither items nor stream
records behind, however many items it touched and in whichever way."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from carehub.adapters.dynamodb.table import create_or_update_table
from tests.support.moto import aws_client

pytestmark = pytest.mark.aws


@pytest.fixture
def table(moto_endpoint: str) -> str:
    name = f"carehub-{uuid.uuid4().hex[:12]}"
    create_or_update_table(aws_client("dynamodb", moto_endpoint), name)
    return name


def _key(pk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": "ITEM"}}


def _stream_records(endpoint: str, table: str) -> int:
    stream_arn = aws_client("dynamodb", endpoint).describe_table(TableName=table)["Table"][
        "LatestStreamArn"
    ]
    streams = aws_client("dynamodbstreams", endpoint)
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return len(streams.get_records(ShardIterator=iterator, Limit=1000)["Records"])


def test_a_cancelled_transaction_leaves_every_item_as_it_was(
    moto_endpoint: str, table: str
) -> None:
    dynamodb = aws_client("dynamodb", moto_endpoint)
    for pk in ("UPDATED", "REPLACED", "DELETED"):
        dynamodb.put_item(TableName=table, Item={**_key(pk), "n": {"N": "1"}})
    records_before = _stream_records(moto_endpoint, table)

    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {**_key("NEW"), "n": {"N": "1"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key("UPDATED"),
                        "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {"Put": {"TableName": table, "Item": {**_key("REPLACED"), "n": {"N": "9"}}}},
                {"Delete": {"TableName": table, "Key": _key("DELETED")}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": _key("MISSING"),
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )

    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    items = dynamodb.scan(TableName=table)["Items"]
    assert sorted((item["PK"]["S"], item["n"]["N"]) for item in items) == [
        ("DELETED", "1"),
        ("REPLACED", "1"),
        ("UPDATED", "1"),
    ]
    assert _stream_records(moto_endpoint, table) == records_before


def test_a_committed_transaction_applies_every_item(moto_endpoint: str, table: str) -> None:
    dynamodb = aws_client("dynamodb", moto_endpoint)
    dynamodb.put_item(TableName=table, Item={**_key("UPDATED"), "n": {"N": "1"}})

    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {**_key("NEW"), "n": {"N": "1"}}}},
            {
                "Update": {
                    "TableName": table,
                    "Key": _key("UPDATED"),
                    "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )

    items = dynamodb.scan(TableName=table)["Items"]
    assert sorted((item["PK"]["S"], item["n"]["N"]) for item in items) == [
        ("NEW", "1"),
        ("UPDATED", "2"),
    ]
