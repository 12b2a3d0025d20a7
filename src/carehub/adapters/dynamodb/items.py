"""Items as plain Python values, and their DynamoDB wire form (TypeSerializer)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

Item = dict[str, Any]
Key = tuple[str, str]

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def to_wire(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values as DynamoDB attribute values (`{"S": ...}`, `{"N": ...}`, ...)."""
    return {name: _SERIALIZER.serialize(value) for name, value in values.items()}


def from_wire(attributes: Mapping[str, Any]) -> Item:
    """DynamoDB attribute values as plain values (numbers come back as `Decimal`)."""
    return {name: _DESERIALIZER.deserialize(value) for name, value in attributes.items()}


def key_of(pk: str, sk: str) -> dict[str, str]:
    return {"PK": pk, "SK": sk}


def record_item(
    key: Key,
    *,
    kind: str,
    data: Mapping[str, Any],
    version: int | None = None,
    indexes: Mapping[str, str | None] | None = None,
) -> Item:
    """A record's item: its key, its kind, its fields as one JSON attribute (a record is
    always read whole), its version for conditional writes, and the index keys it is listed
    under (an index left None keeps the item out of that index)."""
    item: Item = {"PK": key[0], "SK": key[1], "kind": kind, "data": orjson.dumps(data).decode()}
    if version is not None:
        item["version"] = version
    for name, value in (indexes or {}).items():
        if value is not None:
            item[name] = value
    return item


def record_data(item: Item) -> dict[str, Any]:
    """The fields `record_item` stored."""
    data: dict[str, Any] = orjson.loads(item["data"])
    return data


def as_int(value: Any) -> int:
    """A number attribute (a `Decimal` off the wire) as an int."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"not a number attribute: {type(value).__name__}")


def utc_text(at: datetime) -> str:
    """A time as sortable text: UTC with microseconds, so string order is time order."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
