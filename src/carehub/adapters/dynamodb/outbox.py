"""The relay's side of the outbox in the table: the leader lease, the unpublished events
(a sparse GSI1 spread over `OUTBOX_SHARDS` partitions), marking them published.

The unit of work writes the events (`outbox_item`); this store polls them
as the SQL relay polls its table, or serves the relay fed by the table's stream
(`outbox_stream`) with an aggregate's waiting events (docs/dynamodb.md, "Outbox and
relay"). Events have no table-wide sequence number here: their ids (UUIDv7, time ordered)
order each shard, and the positions the relay counts with (`OutboxRow.seq`) are handed out
by this store as it reads, mapped back to the items they stand for.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from carehub.adapters.dynamodb.items import Item, Key, key_of, to_wire, utc_text
from carehub.adapters.dynamodb.table_client import Capacity, DynamoDbFailed, DynamoTable
from carehub.events.model import OutboxRow
from carehub.kernel.clock import Clock
from carehub.kernel.events import EventMessage

OUTBOX_SHARDS = 16  # unpublished events are spread over this many GSI1 partitions
OUTBOX_EVENT_KIND = "outbox-event"  # the `kind` of outbox items (the stream reader looks for it)
_FAILED_CONDITION = "ConditionalCheckFailedException"


def outbox_shard(shard: int) -> str:
    """The GSI1 partition of the unpublished events of one shard."""
    return f"OUTBOX_UNPUBLISHED#{shard:02d}"


def outbox_partition(aggregate_id: str) -> str:
    """The partition of an aggregate's outbox events (the stream keeps its changes in order)."""
    return f"OUTBOX#{aggregate_id}"


def outbox_sort_key(event_id: str) -> str:
    return f"EVENT#{event_id}"


def _lease_key(name: str) -> dict[str, str]:
    return key_of(f"LEASE#{name}", "LEASE")


class DynamoOutboxStore:
    """`carehub.events.ports.OutboxStore` on carehub's table, and the `StreamedOutbox` a
    relay fed by the table's stream marks events in."""

    def __init__(
        self, table: DynamoTable, clock: Clock, *, retention: timedelta = timedelta(days=7)
    ) -> None:
        self._table = table
        self._clock = clock
        self._retention = retention
        # Positions handed out by `unpublished`, until `mark_published` takes them back.
        self._next_seq = 0
        self._positions: dict[int, tuple[str, Key]] = {}

    async def hold_lease(self, name: str, owner: str, seconds: float) -> bool:
        now = self._clock.now()
        request = {
            "TableName": self._table.name,
            "Key": to_wire(_lease_key(name)),
            "UpdateExpression": "SET #owner = :owner, #until = :until, kind = :kind",
            "ConditionExpression": "attribute_not_exists(PK) OR #owner = :owner OR #until < :now",
            "ExpressionAttributeNames": {"#owner": "owner", "#until": "until"},
            "ExpressionAttributeValues": to_wire(
                {
                    ":owner": owner,
                    ":until": utc_text(now + timedelta(seconds=seconds)),
                    ":now": utc_text(now),
                    ":kind": "lease",
                }
            ),
        }
        return await self._conditional("lease", lambda c: c.update_item(**request))

    async def release_lease(self, name: str, owner: str) -> None:
        request = {
            "TableName": self._table.name,
            "Key": to_wire(_lease_key(name)),
            "ConditionExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": "owner"},
            "ExpressionAttributeValues": to_wire({":owner": owner}),
        }
        await self._conditional("lease release", lambda c: c.delete_item(**request))

    async def unpublished(self, after_seq: int, limit: int) -> list[OutboxRow]:
        """The oldest unpublished events of every shard, merged by event id. `after_seq` is
        a position this store handed out: the read continues past its event id; 0 starts
        from the oldest (the relay has nothing in flight, so older positions are dropped)."""
        if after_seq == 0:
            self._positions.clear()
        after = self._positions[after_seq][0] if after_seq in self._positions else ""
        shards = [await self._shard_items(shard, after, limit) for shard in range(OUTBOX_SHARDS)]
        merged = heapq.merge(*shards, key=lambda item: str(item["GSI1SK"]))
        rows = []
        for item, _ in zip(merged, range(limit), strict=False):
            self._next_seq += 1
            self._positions[self._next_seq] = (item["event_id"], (item["PK"], item["SK"]))
            rows.append(OutboxRow(seq=self._next_seq, message=message_from_item(item)))
        return rows

    async def mark_published(self, seqs: Sequence[int], at: datetime) -> None:
        for seq in seqs:
            position = self._positions.pop(seq, None)
            if position is not None:
                request = self._published(key_of(*position[1]), at, "attribute_exists(PK)")
                await self._conditional("outbox update", lambda c, r=request: c.update_item(**r))

    async def waiting_through(self, aggregate_id: str, event_id: str) -> list[EventMessage]:
        """The aggregate's partition up to the event, consistently read, oldest first (event
        ids are UUIDv7), without the published ones; a published event stays in the
        partition until its TTL, so the read pays for those of the last retention days."""
        params: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :first AND :last",
            "FilterExpression": "attribute_not_exists(published_at)",
            "ExpressionAttributeValues": to_wire(
                {
                    ":pk": outbox_partition(aggregate_id),
                    ":first": "EVENT#",
                    ":last": outbox_sort_key(event_id),
                }
            ),
            "ConsistentRead": True,
        }
        found: list[Item] = []
        while True:
            items, last = await self._table.query(Capacity(), **params)
            found += items
            if last is None:
                return [message_from_item(item) for item in found]
            params["ExclusiveStartKey"] = last

    async def mark_event_published(self, message: EventMessage, at: datetime) -> bool:
        key = key_of(outbox_partition(message.aggregate_id), outbox_sort_key(message.event_id))
        # Only if nobody did: the poller's mark (and its TTL) stays as it was.
        condition = "attribute_exists(PK) AND attribute_not_exists(published_at)"
        request = self._published(key, at, condition)
        return await self._conditional("outbox update", lambda c: c.update_item(**request))

    def _published(self, key: dict[str, str], at: datetime, condition: str) -> dict[str, Any]:
        """The update marking one event published: it leaves GSI1, so the unpublished list,
        and the TTL deletes it after the retention the SQL outbox keeps it."""
        expires = int((at + self._retention).timestamp())
        return {
            "TableName": self._table.name,
            "Key": to_wire(key),
            "UpdateExpression": "SET published_at = :at, expires_at = :expires "
            "REMOVE GSI1PK, GSI1SK",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": to_wire({":at": utc_text(at), ":expires": expires}),
        }

    async def backlog(self) -> int:
        total = 0
        for shard in range(OUTBOX_SHARDS):
            params: dict[str, Any] = {
                "IndexName": "GSI1",
                "KeyConditionExpression": "GSI1PK = :pk",
                "ExpressionAttributeValues": to_wire({":pk": outbox_shard(shard)}),
                "Select": "COUNT",
                "TableName": self._table.name,
            }
            while True:
                response = await self._table.call("count", _query(params))
                total += int(response.get("Count", 0))
                last = response.get("LastEvaluatedKey")
                if last is None:
                    break
                params["ExclusiveStartKey"] = last
        return total

    async def oldest_unpublished(self) -> datetime | None:
        """The first item of each shard (event ids are time ordered): one short read each."""
        oldest: datetime | None = None
        for shard in range(OUTBOX_SHARDS):
            for item in await self._shard_items(shard, "", 1):
                occurred = datetime.fromisoformat(item["occurred_at"])
                oldest = occurred if oldest is None else min(oldest, occurred)
        return oldest

    async def prune(self, published_before: datetime) -> int:
        """Nothing to do: published events carry a TTL (`expires_at`) and DynamoDB deletes
        them itself, with no read or write capacity spent."""
        return 0

    async def _shard_items(self, shard: int, after: str, limit: int) -> list[Item]:
        values = {":pk": outbox_shard(shard)}
        condition = "GSI1PK = :pk"
        if after:  # a key condition may not compare with an empty string
            values[":after"] = after
            condition += " AND GSI1SK > :after"
        params: dict[str, Any] = {
            "IndexName": "GSI1",
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_wire(values),
        }
        found: list[Item] = []
        while len(found) < limit:
            params["Limit"] = limit - len(found)
            items, last = await self._table.query(Capacity(), **params)
            found += items
            if last is None:
                break
            params["ExclusiveStartKey"] = last
        return found

    async def _conditional(self, what: str, call: Any) -> bool:
        """Run a conditional write; False when its condition failed."""
        try:
            await self._table.call(what, call)
        except DynamoDbFailed as exc:
            if exc.aws_code != _FAILED_CONDITION:
                raise
            return False
        return True


def _query(params: dict[str, Any]) -> Any:
    def call(client: Any) -> Any:
        return client.query(**params)

    return call


def outbox_item(event: EventMessage) -> Item:
    """The item a unit of work writes for an event: in its aggregate's partition, listed as
    unpublished in the shard the aggregate's id falls in (`message_from_item` reads it)."""
    shard = zlib.crc32(event.aggregate_id.encode()) % OUTBOX_SHARDS
    item: Item = {
        "PK": outbox_partition(event.aggregate_id),
        "SK": outbox_sort_key(event.event_id),
        "kind": OUTBOX_EVENT_KIND,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "aggregate_id": event.aggregate_id,
        "actor_id": event.actor_id,
        "occurred_at": utc_text(event.occurred_at),
        "payload": orjson.dumps(event.payload).decode(),
        "GSI1PK": outbox_shard(shard),
        "GSI1SK": event.event_id,
    }
    if event.trace_context:  # the W3C trace context of the unit that wrote it
        item["trace_context"] = orjson.dumps(event.trace_context).decode()
    return item


def message_from_item(item: Item) -> EventMessage:
    """The event an outbox item (or a dead letter) stores."""
    return EventMessage(
        event_id=item["event_id"],
        event_type=item["event_type"],
        aggregate_id=item["aggregate_id"],
        occurred_at=datetime.fromisoformat(item["occurred_at"]),
        actor_id=item["actor_id"],
        payload=orjson.loads(item["payload"]),
        trace_context=orjson.loads(item["trace_context"]) if "trace_context" in item else {},
    )
