"""Reads that only maintenance commands make: a Scan of the whole table for the items of one
kind (`carehub timeline rebuild` without `--patient`, `carehub search reindex`). Never on a
request's path: a Scan pays for every item of the table it reads, so no deployed function
is granted it (`carehub.adapters.aws.permissions.DYNAMODB_MAINTENANCE`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carehub.adapters.dynamodb.items import Item, from_wire, to_wire
from carehub.adapters.dynamodb.table_client import DynamoTable

# Items read per Scan call (of every kind; the filter keeps one).
SCAN_BATCH = 1000


async def scan_kind(
    table: DynamoTable,
    kind: str,
    *,
    start_key: dict[str, Any] | None,
    projection: str | None = None,
) -> tuple[list[Item], dict[str, Any] | None]:
    """One Scan call's items of `kind` (up to SCAN_BATCH items read), and where the next
    call starts (None once the table is read)."""
    return await scan_kinds(table, (kind,), start_key=start_key, projection=projection)


async def scan_kinds(
    table: DynamoTable,
    kinds: Sequence[str],
    *,
    start_key: dict[str, Any] | None,
    projection: str | None = None,
) -> tuple[list[Item], dict[str, Any] | None]:
    """`scan_kind` of any of several kinds (`carehub search reindex` clears the search
    index's four in one pass over the table)."""
    values = {f":kind{n}": kind for n, kind in enumerate(kinds)}
    request: dict[str, Any] = {
        "TableName": table.name,
        "FilterExpression": f"kind IN ({', '.join(values)})",
        "ExpressionAttributeValues": to_wire(values),
        "Limit": SCAN_BATCH,
    }
    if projection is not None:
        request["ProjectionExpression"] = projection
    if start_key is not None:
        request["ExclusiveStartKey"] = start_key
    response = await table.call("maintenance scan", lambda c: c.scan(**request))
    items = [from_wire(found) for found in response.get("Items", [])]
    return items, response.get("LastEvaluatedKey")
