"""The timeline and its journal in the table (docs/dynamodb.md, "timeline").

An entry is `TIMELINE#{patient}` / `{occurredAt}#{eventId}` and the journal's copy of its
event `TIMELINE_JOURNAL#{patient}` / `{occurredAt}#{eventId}` (times as `utc_text`, so the
sort key's order is time order, the event id breaking ties). A page is one Query of the
patient's partition newest first, from the cursor's key on, eventually consistent (half
the units; the projection trails its events anyway); a type filter is a filter expression,
so a request reads at most READ_BUDGET entries and then answers a short page with a
cursor past them.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from typing import Any

import orjson

from carehub.adapters.dynamodb.items import Item, Key, key_of, to_wire, utc_text
from carehub.adapters.dynamodb.maintenance import scan_kind
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.kernel.events import EventMessage
from carehub.kernel.pagination import Page, cursor_position, encode_cursor
from carehub.timeline.model import EntryType, Position, TimelineEntry

ENTRY_KIND = "timeline-entry"
JOURNAL_KIND = "timeline-journal"
_ENTRIES, _JOURNAL = "TIMELINE#", "TIMELINE_JOURNAL#"
# Entries one request reads at most when a type filter turns some down (a Query pays for
# what its filter discards): about 50 read units, and never a whole long timeline.
READ_BUDGET = 1000
# Entries per Query after the first, which asks for one page and one more (a page of 20
# read 100 at a time would cost five times its units when every entry matches).
_BATCH = 100
# Sorts after "#": a sort key below `{time}$` is an entry at or before that time.
_AFTER_TIME = "$"


def sort_key(position: Position) -> str:
    return f"{utc_text(position.at)}#{position.event_id}"


def _position(sort_key: str) -> Position:
    at, _, event_id = sort_key.partition("#")
    return Position(datetime.fromisoformat(at), event_id)


def entry_item(entry: TimelineEntry) -> Item:
    """An entry's item: its type an attribute of its own (the filter reads it), the rest
    one short JSON attribute; kept small, since a page's units are its items' bytes."""
    data = {
        "action": entry.action,
        "itemId": entry.item_id,
        "actorId": entry.actor_id,
        "summary": entry.summary,
        "status": entry.status,
        "version": entry.version,
    }
    return {
        "PK": f"{_ENTRIES}{entry.patient_id}",
        "SK": sort_key(Position.of(entry)),
        "kind": ENTRY_KIND,
        "entry_type": entry.entry_type.value,
        "data": orjson.dumps({k: v for k, v in data.items() if v is not None}).decode(),
    }


def entry_of(item: Item) -> TimelineEntry:
    data: dict[str, Any] = orjson.loads(item["data"])
    position = _position(item["SK"])
    return TimelineEntry(
        patient_id=item["PK"].removeprefix(_ENTRIES),
        event_id=position.event_id,
        occurred_at=position.at,
        entry_type=EntryType(item["entry_type"]),
        action=data["action"],
        item_id=data["itemId"],
        actor_id=data["actorId"],
        summary=data["summary"],
        status=data.get("status"),
        version=data.get("version"),
    )


class DynamoTimeline:
    """`carehub.timeline.ports.TimelineRepository` over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def journal(self, message: EventMessage, patient_id: str) -> None:
        # The same event always makes the same item: writing it again changes nothing.
        position = Position(message.occurred_at, message.event_id)
        self._session.writes.put(
            {
                "PK": f"{_JOURNAL}{patient_id}",
                "SK": sort_key(position),
                "kind": JOURNAL_KIND,
                "message": orjson.dumps(message.to_json()).decode(),
            }
        )

    async def add(self, entry: TimelineEntry) -> None:
        self._session.writes.put(entry_item(entry))

    async def page(
        self,
        patient_id: str,
        *,
        types: Set[EntryType] | None,
        start: datetime | None,
        end: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Page[TimelineEntry]:
        partition = f"{_ENTRIES}{patient_id}"
        low = None if start is None else utc_text(start)
        high = None if end is None else utc_text(end) + _AFTER_TIME
        before = None if cursor is None else sort_key(Position.from_cursor(cursor))
        if types is not None and not types:
            return Page([], None)
        if before is not None and low is not None and before <= low:
            return Page([], None)
        if before is not None and high is not None and before > high:
            before = None  # the whole range is past the cursor: start at its newest
        params = _range_query(partition, low, high)
        params["ScanIndexForward"] = False
        if before is not None:
            params["ExclusiveStartKey"] = to_wire(key_of(partition, before))
        if types is not None:
            names = {f":type{n}": t.value for n, t in enumerate(sorted(types))}
            params["FilterExpression"] = f"entry_type IN ({', '.join(names)})"
            params["ExpressionAttributeValues"].update(to_wire(names))
        found: list[Item] = []
        read = 0
        while True:
            wanted = limit + 1 - len(found)
            batch = wanted if read == 0 or types is None else min(_BATCH, READ_BUDGET - read)
            params["Limit"] = batch
            items, last = await self._session.query(**params)
            found += items
            read += batch
            if len(found) > limit:
                page = [entry_of(item) for item in found[:limit]]
                return Page(page, Position.of(page[-1]).cursor())
            if last is None:
                return Page([entry_of(item) for item in found], None)
            if types is not None and read >= READ_BUDGET:
                # Cut short: the next request goes on after the last entry read.
                past = _position(str(last["SK"]["S"]))
                return Page([entry_of(item) for item in found], past.cursor())
            params["ExclusiveStartKey"] = last

    async def clear(self, patient_id: str | None) -> int:
        if patient_id is None:
            keys = await self._every_key(ENTRY_KIND)
        else:
            keys = await self._partition_keys(f"{_ENTRIES}{patient_id}")
        session = self._session
        await session.table.delete_many([key_of(*key) for key in keys], session.capacity)
        return len(keys)

    async def journaled(
        self, patient_id: str | None, *, cursor: str | None, limit: int
    ) -> Page[EventMessage]:
        if patient_id is None:
            return await self._every_journal(cursor, limit)
        params = _range_query(f"{_JOURNAL}{patient_id}", None, None)
        if cursor is not None:
            after = sort_key(Position.from_cursor(cursor))
            params["ExclusiveStartKey"] = to_wire(key_of(f"{_JOURNAL}{patient_id}", after))
        found: list[Item] = []
        while True:
            params["Limit"] = limit + 1 - len(found)
            items, last = await self._session.query(**params)
            found += items
            if len(found) > limit or last is None:
                break
            params["ExclusiveStartKey"] = last
        messages = [_message_of(item) for item in found[:limit]]
        if len(found) <= limit:
            return Page(messages, None)
        return Page(messages, _position(found[limit - 1]["SK"]).cursor())

    async def _every_journal(self, cursor: str | None, limit: int) -> Page[EventMessage]:
        """Everyone's journal by a Scan (maintenance), in the table's order; the cursor
        holds the key the next page starts after."""
        start_key = None
        if cursor is not None:
            start_key = to_wire(key_of(*_scan_position(cursor)))
        found: list[Item] = []
        while len(found) < limit:
            items, last = await scan_kind(self._session.table, JOURNAL_KIND, start_key=start_key)
            found += items
            if last is None:
                if len(found) <= limit:
                    return Page([_message_of(item) for item in found], None)
                break
            start_key = last
        page = found[:limit]
        if len(found) > limit:
            last_key: Key = (page[-1]["PK"], page[-1]["SK"])
        else:  # the scan stopped right after the page's last item
            assert start_key is not None
            last_key = (start_key["PK"]["S"], start_key["SK"]["S"])
        next_cursor = encode_cursor({"pk": last_key[0], "sk": last_key[1]})
        return Page([_message_of(item) for item in page], next_cursor)

    async def _partition_keys(self, partition: str) -> list[Key]:
        params = _range_query(partition, None, None)
        params["ProjectionExpression"] = "PK, SK"
        keys: list[Key] = []
        while True:
            items, last = await self._session.query(**params)
            keys += [(item["PK"], item["SK"]) for item in items]
            if last is None:
                return keys
            params["ExclusiveStartKey"] = last

    async def _every_key(self, kind: str) -> list[Key]:
        keys: list[Key] = []
        start_key = None
        while True:
            items, start_key = await scan_kind(
                self._session.table, kind, start_key=start_key, projection="PK, SK"
            )
            keys += [(item["PK"], item["SK"]) for item in items]
            if start_key is None:
                return keys


def _range_query(partition: str, low: str | None, high: str | None) -> dict[str, Any]:
    """A Query of one partition, its sort keys from `low` to `high` (each None: open)."""
    values: dict[str, str] = {":pk": partition}
    condition = "PK = :pk"
    if low is not None and high is not None:
        condition += " AND SK BETWEEN :low AND :high"
        values.update({":low": low, ":high": high})
    elif low is not None:
        condition += " AND SK >= :low"
        values[":low"] = low
    elif high is not None:
        condition += " AND SK <= :high"
        values[":high"] = high
    return {"KeyConditionExpression": condition, "ExpressionAttributeValues": to_wire(values)}


def _scan_position(cursor: str) -> Key:
    return cursor_position(cursor, "pk", str), cursor_position(cursor, "sk", str)


def _message_of(item: Item) -> EventMessage:
    return EventMessage.from_json(orjson.loads(item["message"]))
