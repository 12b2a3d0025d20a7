"""Searching the audit trail in the table: index partitions that each list entries in the
trail's order (their sort key is `audit.order_key`), read newest first a page at a time and
merged, the criteria no partition serves checked on the items."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from carehub.adapters.dynamodb.items import Item, to_wire, utc_text
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.audit.model import AuditEntry, TrailPosition
from carehub.audit.ports import AuditFilter
from carehub.kernel.pagination import Page

# A search page examines at most this many items looking for matches; past it the page
# comes back short, with a cursor, so a rare criterion never costs one unbounded read.
READ_BUDGET = 1000
_QUERY_PAGE = 100


# What a partition's page becomes before it is merged (pointers replaced by their entries).
Resolve = Callable[[DynamoSession, list[Item]], Awaitable[list[Item]]]


@dataclass(frozen=True)
class Partition:
    """An index partition listing entries in the trail's order."""

    index: str
    key: str


@dataclass
class _Reader:
    """One partition read newest first, a page at a time, below `upper` and from `lower`."""

    partition: Partition
    resolve: Resolve
    upper: str | None  # exclusive
    lower: str | None  # inclusive
    page: int
    items: deque[Item] = field(default_factory=deque)
    start: dict[str, Any] | None = None  # where the next page starts (LastEvaluatedKey)
    done: bool = False

    def key_of(self, item: Item) -> str:
        return str(item[f"{self.partition.index}SK"])

    async def fill(self, session: DynamoSession) -> None:
        """Read on until an item comes (none once the partition is read to its end)."""
        while not self.items and not self.done:
            await self._next_page(session)

    async def _next_page(self, session: DynamoSession) -> None:
        index = self.partition.index
        values: dict[str, Any] = {":pk": self.partition.key}
        condition = "#pk = :pk"
        if self.lower is not None and self.upper is not None:
            condition += " AND #sk BETWEEN :lower AND :upper"  # inclusive: upper dropped below
            values.update({":lower": self.lower, ":upper": self.upper})
        elif self.upper is not None:
            condition += " AND #sk < :upper"
            values[":upper"] = self.upper
        elif self.lower is not None:
            condition += " AND #sk >= :lower"
            values[":lower"] = self.lower
        params: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#pk": f"{index}PK", "#sk": f"{index}SK"},
            "ExpressionAttributeValues": to_wire(values),
            "ScanIndexForward": False,
            "Limit": self.page,
        }
        if self.lower is None and self.upper is None:
            del params["ExpressionAttributeNames"]["#sk"]
        if self.start is not None:
            params["ExclusiveStartKey"] = self.start
        items, self.start = await session.query(**params)
        items = await self.resolve(session, items)
        self.items.extend(item for item in items if self.key_of(item) != self.upper)
        self.done = self.start is None
        self.page = min(_QUERY_PAGE, self.page * 2)


async def search_trail(
    session: DynamoSession,
    partitions: list[Partition],
    criteria: AuditFilter,
    *,
    before: str | None,
    limit: int,
    entry_of: Callable[[Item], AuditEntry],
    resolve: Resolve,
) -> Page[AuditEntry]:
    """One page, newest first, of the entries the partitions list that meet `criteria`,
    after the order key `before` (a cursor's)."""
    until = None if criteria.until is None else utc_text(criteria.until)
    upper = min((bound for bound in (before, until) if bound is not None), default=None)
    lower = None if criteria.since is None else utc_text(criteria.since)
    # The first pages together hold a little more than the page asked for.
    first_page = min(_QUERY_PAGE, max(2, (limit + 1) // max(len(partitions), 1) + 1))
    readers = [_Reader(part, resolve, upper, lower, first_page) for part in partitions]
    await asyncio.gather(*(reader.fill(session) for reader in readers))
    found: list[AuditEntry] = []
    last_examined: AuditEntry | None = None
    examined = 0
    while len(found) <= limit:
        live = [reader for reader in readers if reader.items]
        if not live:
            break
        if examined == READ_BUDGET and last_examined is not None:
            # A short page whose cursor resumes after what was examined.
            return Page(found, TrailPosition.of(last_examined).cursor())
        newest = max(live, key=lambda reader: reader.key_of(reader.items[0]))
        last_examined = entry_of(newest.items.popleft())
        examined += 1
        if not newest.items:
            await newest.fill(session)
        if _meets(last_examined, criteria):
            found.append(last_examined)
    page = found[:limit]
    more = len(found) > limit
    return Page(page, TrailPosition.of(page[-1]).cursor() if more else None)


def _meets(entry: AuditEntry, criteria: AuditFilter) -> bool:
    return (
        (criteria.patient_id is None or criteria.patient_id in entry.patient_ids)
        and (criteria.actor_id is None or entry.actor_id == criteria.actor_id)
        and (criteria.action is None or entry.action == criteria.action)
        and (criteria.since is None or entry.at >= criteria.since)
        and (criteria.until is None or entry.at < criteria.until)
    )
