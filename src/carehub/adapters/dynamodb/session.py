"""What a unit of work's repositories share: consistent reads that see the unit's own
writes, queries, and the buffer the writes wait in until `commit()`."""

from __future__ import annotations

from typing import Any

from carehub.adapters.dynamodb.items import Item, Key, key_of
from carehub.adapters.dynamodb.table_client import Capacity, DynamoTable
from carehub.adapters.dynamodb.writes import WriteBuffer


class DynamoSession:
    def __init__(self, table: DynamoTable) -> None:
        self.table = table
        self.writes = WriteBuffer()
        self.capacity = Capacity()

    async def get(self, key: Key) -> Item | None:
        """The item as this unit would leave it: its own write if any, else the table's."""
        seen, item = self.writes.seen(key)
        if seen:
            return item
        return await self.table.get(key_of(*key), self.capacity)

    async def query(self, **params: Any) -> tuple[list[Item], dict[str, Any] | None]:
        """One page of a Query on the table as committed (queries do not see this unit's
        own writes; no use case lists what it has just written)."""
        return await self.table.query(self.capacity, **params)
