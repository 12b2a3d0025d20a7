"""What a unit of work's repositories share: consistent reads that see the unit's own
writes, queries, and the buffers the writes wait in until `commit()`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carehub.adapters.dynamodb.items import Item, Key, key_of
from carehub.adapters.dynamodb.table_client import Capacity, DynamoTable
from carehub.adapters.dynamodb.writes import BulkWrites, WriteBuffer


class DynamoSession:
    def __init__(self, table: DynamoTable) -> None:
        self.table = table
        self.writes = WriteBuffer()
        self.bulk = BulkWrites()
        self.capacity = Capacity()

    async def get(self, key: Key) -> Item | None:
        """The item as this unit would leave it: its own write if any, else the table's."""
        seen, item = self.writes.seen(key)
        if seen:
            return item
        return await self.table.get(key_of(*key), self.capacity)

    async def get_many(self, keys: Sequence[Key]) -> dict[Key, Item | None]:
        """`get` of each key (at most 100), the table's part in one consistent batch read."""
        found: dict[Key, Item | None] = {}
        unseen: list[Key] = []
        for key in keys:
            seen, item = self.writes.seen(key)
            if seen:
                found[key] = item
            else:
                unseen.append(key)
        if unseen:
            stored = await self.table.get_many([key_of(*key) for key in unseen], self.capacity)
            for key in unseen:
                found[key] = stored.get(key)
        return found

    async def query(self, **params: Any) -> tuple[list[Item], dict[str, Any] | None]:
        """One page of a Query on the table as committed (queries do not see this unit's
        own writes; no use case lists what it has just written)."""
        return await self.table.query(self.capacity, **params)
