"""`carehub db upgrade` on a `dynamodb://` URL creates the table, and brings an older one
up to the definition, doing nothing when there is nothing to do."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from carehub.adapters.dynamodb.table import create_or_update_table
from carehub.bootstrap import database_revision, upgrade_database
from carehub.config import Settings
from tests.support.moto import REGION, aws_client

pytestmark = pytest.mark.aws


@pytest.fixture
def dynamodb(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return aws_client("dynamodb", moto_endpoint)


def test_upgrade_creates_the_table_with_its_indexes_stream_and_ttl(
    dynamodb: Any, moto_endpoint: str
) -> None:
    name = f"carehub-{uuid.uuid4().hex[:12]}"
    settings = Settings(
        database_url=f"dynamodb://{name}?region={REGION}", aws_endpoint_url=moto_endpoint
    )
    upgrade_database(settings)
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["PK", "SK"]
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == [
        "GSI1",
        "GSI2",
        "GSI3",
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"
    assert database_revision(settings) == "one table with GSI1, GSI2, GSI3"
    upgrade_database(settings)  # again: nothing to do, and no error
    assert create_or_update_table(dynamodb, name) == []


def test_an_older_table_gets_its_missing_index_and_stream(dynamodb: Any) -> None:
    name = f"carehub-{uuid.uuid4().hex[:12]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    done = create_or_update_table(dynamodb, name)
    assert done == [
        "added index GSI1",
        "added index GSI2",
        "added index GSI3",
        "enabled the NEW_IMAGE stream",
        "enabled TTL on expires_at",
    ]
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert len(table["GlobalSecondaryIndexes"]) == 3
    assert create_or_update_table(dynamodb, name) == []
