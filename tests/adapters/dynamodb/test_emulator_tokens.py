"""What the test session's moto server is made to guarantee as DynamoDB does, so that the
race tests prove carehub's conditions rather than the emulator's gaps."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.support.moto import aws_client

pytestmark = pytest.mark.aws


@pytest.fixture
def client(moto_endpoint: str) -> Any:
    return aws_client("dynamodb", moto_endpoint)


@pytest.fixture
def table_name(client: Any) -> Any:
    name = f"emulator-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    client.delete_table(TableName=name)


def put_new(table: str, key: str) -> list[dict[str, Any]]:
    item = {"PK": {"S": key}}
    return [
        {
            "Put": {
                "TableName": table,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
    ]


def test_a_transaction_sent_again_with_its_token_answers_as_the_first(
    client: Any, table_name: str
) -> None:
    token = uuid.uuid4().hex
    client.transact_write_items(TransactItems=put_new(table_name, "a"), ClientRequestToken=token)
    # As botocore sends it again after a late answer: success, nothing written twice.
    client.transact_write_items(TransactItems=put_new(table_name, "a"), ClientRequestToken=token)
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=put_new(table_name, "a"))
    assert client.scan(TableName=table_name)["Count"] == 1


def test_botocore_gives_every_transaction_a_token(client: Any, table_name: str) -> None:
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "before-send.dynamodb.TransactWriteItems",
        lambda request, **_: sent.append(json.loads(request.body)),
    )
    client.transact_write_items(TransactItems=put_new(table_name, "b"))
    assert sent[0]["ClientRequestToken"]
