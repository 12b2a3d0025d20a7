"""Verification stamps in the table (docs/dynamodb.md, "documents"): each stamp an item in
its file's partition, in time order; the file's active stamp also a guard item beside
them, which one transaction at a time can write (the stamp race: one winner)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from carehub.adapters.dynamodb.file_items import guard_item, partition_items
from carehub.adapters.dynamodb.items import Item, Key, record_data, record_item, utc_text
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import NEW_ITEM, Condition
from carehub.adapters.sql.stamps import stamp_from_row, stamp_row
from carehub.documents.errors import StampExists
from carehub.documents.model import Stamp
from carehub.kernel.errors import Conflict

_HISTORY = "STAMP#"
_STILL_THERE = Condition("attribute_exists(PK)")


class StampRemovedMeanwhile(Conflict):
    """Another unit removed the stamp (or replaced it) between this one's read and commit."""

    def __init__(self) -> None:
        super().__init__("The stamp was removed at the same time")


def _stamp_key(stamp: Stamp) -> Key:
    return (f"FILE#{stamp.file_id}", f"{_HISTORY}{utc_text(stamp.stamped_at)}#{stamp.id}")


def _active_key(file_id: str) -> Key:
    return (f"FILE#{file_id}", "STAMP_ACTIVE")


def _id_key(stamp_id: str) -> Key:
    return (f"STAMP#{stamp_id}", "GUARD")


def _stamp_item(key: Key, stamp: Stamp) -> Item:
    item = record_item(key, kind="stamp", data=stamp_row(stamp))
    item["stamp_id"] = stamp.id
    return item


def _stamp(item: Item) -> Stamp:
    return stamp_from_row(record_data(item))


def _id_taken(stamp_id: str) -> Exception:
    return ValueError(f"stamp {stamp_id} exists")  # as SQL's primary key refuses it


class DynamoStampRepository:
    """`carehub.documents.ports.StampRepository` over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def add(self, stamp: Stamp) -> None:
        session = self._session
        if await session.get(_id_key(stamp.id)) is not None:
            raise _id_taken(stamp.id)
        if stamp.active and await self.active(stamp.file_id) is not None:
            raise StampExists()
        writes = session.writes
        if stamp.active:
            active = _stamp_item(_active_key(stamp.file_id), stamp)
            writes.put(active, condition=NEW_ITEM, refusal=StampExists)
        writes.put(_stamp_item(_stamp_key(stamp), stamp), condition=NEW_ITEM)
        id_taken = lambda: _id_taken(stamp.id)  # noqa: E731
        writes.put(guard_item(_id_key(stamp.id)), condition=NEW_ITEM, refusal=id_taken)

    async def active(self, file_id: str) -> Stamp | None:
        item = await self._session.get(_active_key(file_id))
        return None if item is None else _stamp(item)

    async def history(self, file_ids: Sequence[str]) -> dict[str, list[Stamp]]:
        """Every listed file gets an entry, an empty list when it was never stamped: one
        consistent Query of each file's partition."""
        found: dict[str, list[Stamp]] = {}
        for file_id in file_ids:
            items = await partition_items(self._session, f"FILE#{file_id}", _HISTORY)
            found[file_id] = [_stamp(item) for item in items]
        return found

    async def remove(self, stamp: Stamp) -> bool:
        if stamp.removed_at is None:
            raise ValueError("a removal needs removed_at")
        current = await self.active(stamp.file_id)
        if current is None or current.id != stamp.id:
            return False
        removed = replace(
            current,
            removed_by=stamp.removed_by,
            removed_at=stamp.removed_at,
            removal_reason=stamp.removal_reason,
        )
        writes = self._session.writes
        # The guard's condition decides a removal race: only one unit deletes it.
        writes.delete(
            _active_key(stamp.file_id),
            condition=Condition("stamp_id = :removed", {":removed": stamp.id}),
            refusal=StampRemovedMeanwhile,
        )
        writes.put(_stamp_item(_stamp_key(removed), removed), condition=_STILL_THERE)
        return True
