"""One index partition read in sort-key order, a page at a time, behind opaque cursors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from carehub.adapters.dynamodb.items import Item, to_wire
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.kernel.pagination import Page, cursor_position, encode_cursor

T = TypeVar("T")


async def query_items(
    session: DynamoSession, params: dict[str, Any], limit: int
) -> tuple[list[Item], bool]:
    """Up to `limit` items of one Query (DynamoDB's 1 MB pages followed), and whether there
    may be more. `params` is the Query's own, without `Limit`; it is changed as pages go."""
    found: list[Item] = []
    while len(found) < limit:
        params["Limit"] = limit - len(found)
        items, last = await session.query(**params)
        found += items
        if last is None:
            return found, False
        params["ExclusiveStartKey"] = last
    return found, True


async def index_items(
    session: DynamoSession, index: str, partition: str, *, after: str = "", limit: int | None
) -> list[Item]:
    """Up to `limit` items (all when None) of one index partition whose sort key is after
    `after`, in sort-key order. DynamoDB stops a page at 1 MB: its `LastEvaluatedKey`
    continues the read until there are enough."""
    params: dict[str, Any] = {"IndexName": index}
    if after:
        params["KeyConditionExpression"] = "#pk = :pk AND #sk > :after"
        params["ExpressionAttributeNames"] = {"#pk": f"{index}PK", "#sk": f"{index}SK"}
        params["ExpressionAttributeValues"] = to_wire({":pk": partition, ":after": after})
    else:  # a key condition may not compare with an empty string
        params["KeyConditionExpression"] = "#pk = :pk"
        params["ExpressionAttributeNames"] = {"#pk": f"{index}PK"}
        params["ExpressionAttributeValues"] = to_wire({":pk": partition})
    found: list[Item] = []
    while limit is None or len(found) < limit:
        if limit is not None:
            params["Limit"] = limit - len(found)
        items, last = await session.query(**params)
        found += items
        if last is None:
            break
        params["ExclusiveStartKey"] = last
    return found


async def index_page(
    session: DynamoSession,
    index: str,
    partition: str,
    *,
    cursor: str | None,
    limit: int,
    record: Callable[[Item], T],
) -> Page[T]:
    """A page of an index partition. The cursor holds the last item's index sort key (the
    part of its `LastEvaluatedKey` that orders the partition), so the next page starts
    right after it; one item more than asked says whether there is a next page."""
    after = "" if cursor is None else cursor_position(cursor, "after", str)
    items = await index_items(session, index, partition, after=after, limit=limit + 1)
    page = items[:limit]
    more = len(items) > limit
    next_cursor = encode_cursor({"after": page[-1][f"{index}SK"]}) if more else None
    return Page([record(item) for item in page], next_cursor)


async def prefix_items(
    session: DynamoSession, index: str, partition: str, prefix: str
) -> list[Item]:
    """Every item of one index partition whose sort key starts with `prefix`."""
    params: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
        "ExpressionAttributeNames": {"#pk": f"{index}PK", "#sk": f"{index}SK"},
        "ExpressionAttributeValues": to_wire({":pk": partition, ":prefix": prefix}),
    }
    found: list[Item] = []
    while True:
        items, last = await session.query(**params)
        found += items
        if last is None:
            return found
        params["ExclusiveStartKey"] = last


async def range_items(
    session: DynamoSession,
    index: str,
    partition: str,
    *,
    low: str | None,
    high: str | None,
    limit: int | None,
    start_key: dict[str, Any] | None = None,
    newest_first: bool = False,
) -> tuple[list[Item], dict[str, Any] | None]:
    """Up to `limit` items (all when None) of one index partition whose sort key is between
    `low` and `high` (both inclusive; None: no bound on that side), in sort-key order (the
    reverse with `newest_first`), and where DynamoDB would go on (None when the range is
    exhausted)."""
    values: dict[str, Any] = {":pk": partition}
    condition = "#pk = :pk"
    if low is not None and high is not None:
        condition += " AND #sk BETWEEN :low AND :high"
    elif low is not None:
        condition += " AND #sk >= :low"
    elif high is not None:
        condition += " AND #sk <= :high"
    values.update({name: v for name, v in ((":low", low), (":high", high)) if v is not None})
    names = {"#pk": f"{index}PK"}
    if "#sk" in condition:
        names["#sk"] = f"{index}SK"
    params: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_wire(values),
    }
    if newest_first:
        params["ScanIndexForward"] = False
    if start_key is not None:
        params["ExclusiveStartKey"] = start_key
    found: list[Item] = []
    while limit is None or len(found) < limit:
        if limit is not None:
            params["Limit"] = limit - len(found)
        items, last = await session.query(**params)
        found += items
        if last is None:
            return found, None
        params["ExclusiveStartKey"] = last
    return found, params.get("ExclusiveStartKey")
