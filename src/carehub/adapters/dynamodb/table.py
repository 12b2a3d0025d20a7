"""The table's definition, and `create_or_update_table`, which `carehub db upgrade` runs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

KEY_ATTRIBUTES = ("PK", "SK")
INDEXES = ("GSI1", "GSI2", "GSI3")
TTL_ATTRIBUTE = "expires_at"


def _key_schema(partition: str, sort: str) -> list[dict[str, str]]:
    return [
        {"AttributeName": partition, "KeyType": "HASH"},
        {"AttributeName": sort, "KeyType": "RANGE"},
    ]


def _index(name: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": _key_schema(f"{name}PK", f"{name}SK"),
        # Every list page is one Query: the items come whole, no GetItem per row.
        "Projection": {"ProjectionType": "ALL"},
    }


def _attribute_definitions(indexes: tuple[str, ...]) -> list[dict[str, str]]:
    names = [*KEY_ATTRIBUTES, *(f"{i}{part}" for i in indexes for part in ("PK", "SK"))]
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


_STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}


def table_definition(name: str) -> dict[str, Any]:
    """`CreateTable`'s arguments for carehub's single table."""
    return {
        "TableName": name,
        "KeySchema": _key_schema(*KEY_ATTRIBUTES),
        "AttributeDefinitions": _attribute_definitions(INDEXES),
        "GlobalSecondaryIndexes": [_index(i) for i in INDEXES],
        "BillingMode": "PAY_PER_REQUEST",
        # The outbox relay reads the stream in AWS (docs/dynamodb.md, "Outbox and relay").
        "StreamSpecification": _STREAM,
    }


def create_or_update_table(client: Any, name: str) -> list[str]:
    """Create the table, or bring an existing one up to the definition (missing indexes,
    the stream, TTL); returns what was done, empty when it was up to date already.

    `client` is a boto3 DynamoDB client; this runs from `carehub db upgrade`, not per request.
    """
    done: list[str] = []
    try:
        table = client.describe_table(TableName=name)["Table"]
    except client.exceptions.ResourceNotFoundException:
        client.create_table(**table_definition(name))
        client.get_waiter("table_exists").wait(TableName=name)
        table = client.describe_table(TableName=name)["Table"]
        done.append("created the table")
    present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    for index in INDEXES:
        if index in present:
            continue
        # DynamoDB adds one index per UpdateTable call.
        client.update_table(
            TableName=name,
            AttributeDefinitions=_attribute_definitions(INDEXES),
            GlobalSecondaryIndexUpdates=[{"Create": _index(index)}],
        )
        client.get_waiter("table_exists").wait(TableName=name)
        done.append(f"added index {index}")
    if table.get("StreamSpecification") != _STREAM:
        client.update_table(TableName=name, StreamSpecification=_STREAM)
        done.append("enabled the NEW_IMAGE stream")
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
        done.append(f"enabled TTL on {TTL_ATTRIBUTE}")
    return done


def table_revision(indexes: Iterable[str]) -> str:
    """What `carehub db current` says of a table with these indexes; the table has no
    revisions, so it names the indexes (all of `INDEXES`: up to date)."""
    return "one table with " + ", ".join(sorted(indexes)) if indexes else "one table, no index"


LATEST_REVISION = table_revision(INDEXES)


def current_revision(client: Any, name: str) -> str | None:
    """The revision of the table `name` (None when there is no such table); only its
    indexes count, they are what queries need."""
    try:
        table = client.describe_table(TableName=name)["Table"]
    except client.exceptions.ResourceNotFoundException:
        return None
    present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    return table_revision(present & set(INDEXES))
