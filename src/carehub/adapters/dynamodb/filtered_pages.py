"""A page of one index partition whose items a criterion the index does not serve (a
status) is checked on as they come, within a read budget, with this unit of work's own
writes laid over what the table returned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carehub.adapters.dynamodb.items import Item
from carehub.adapters.dynamodb.pages import range_items
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.kernel.pagination import Page, cursor_position, encode_cursor

# Items read per request at most: a criterion few items pass cannot make one request read
# a whole partition; the page then comes back short, with a cursor (as patient search).
READ_BUDGET = 2000


@dataclass(frozen=True)
class Listing:
    """The items of one index partition whose sort key is between `low` and `high` (both
    inclusive; None: unbounded), in sort-key order, or the reverse with `newest_first`.
    `own` is the sort key of the records this unit may have written into it."""

    index: str
    partition: str
    own: str
    low: str | None = None
    high: str | None = None
    newest_first: bool = False

    def sort_key(self, item: Item) -> str:
        return str(item[f"{self.index}SK"])

    def beyond(self, position: str, mark: str) -> bool:
        """`position` comes after `mark` in the listing's order."""
        return position < mark if self.newest_first else position > mark

    def holds(self, item: Item) -> bool:
        """The item (this unit's own version of a record) belongs in the listing."""
        if item.get(f"{self.index}PK") != self.partition:
            return False
        position = self.sort_key(item)
        return (self.low is None or position >= self.low) and (
            self.high is None or position <= self.high
        )


async def filtered_page(
    session: DynamoSession,
    listing: Listing,
    *,
    admits: Callable[[Item], bool],
    cursor: str | None,
    limit: int,
) -> Page[Item]:
    """The listing's items that `admits`, after the cursor's, read on until the page and one
    more are found (or READ_BUDGET items were read: then a short page, with a cursor after
    the last item read). A record this unit wrote counts as it wrote it, in or out of the
    listing, whatever the table's (committed) index says."""
    after = None if cursor is None else cursor_position(cursor, "after", str)
    low, high = listing.low, listing.high
    if after is not None and listing.newest_first:
        high = after if high is None else min(high, after)
    elif after is not None:
        low = after if low is None else max(low, after)
    own = session.writes.written(listing.own)
    found: list[Item] = []
    read = 0
    last_read = after
    start_key: dict[str, Any] | None = None
    while len(found) <= limit and read < READ_BUDGET:
        items, start_key = await range_items(
            session,
            listing.index,
            listing.partition,
            low=low,
            high=high,
            limit=min(limit + 1, READ_BUDGET - read),
            start_key=start_key,
            newest_first=listing.newest_first,
        )
        read += len(items)
        for item in items:
            position = listing.sort_key(item)
            if position == after:
                continue  # the bounds are inclusive: the cursor's own item
            last_read = position
            if item["PK"] not in own and admits(item):
                found.append(item)
                if len(found) > limit:
                    break
        if start_key is None:
            break
    cut_short = start_key is not None and len(found) <= limit
    for image in own.values():
        if image is None or not listing.holds(image) or not admits(image):
            continue
        position = listing.sort_key(image)
        if after is not None and not listing.beyond(position, after):
            continue
        if cut_short and last_read is not None and listing.beyond(position, last_read):
            continue  # the table's items past the last one read are not known yet
        found.append(image)
    found.sort(key=listing.sort_key, reverse=listing.newest_first)
    page = found[:limit]
    if len(found) > limit:
        return Page(page, encode_cursor({"after": listing.sort_key(page[-1])}))
    if cut_short:
        return Page(page, encode_cursor({"after": last_read}))
    return Page(page, None)
