"""Dead letters in the table: one item per letter, listed newest first in GSI1
(`DEAD_LETTERS`) and per consumer in GSI2; a guard per consumer and event holds the id of
its letter, so parking the same event again updates that letter (docs/dynamodb.md)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import orjson

from carehub.adapters.dynamodb.items import Item, as_int, key_of, to_wire, utc_text
from carehub.adapters.dynamodb.outbox import message_from_item
from carehub.adapters.dynamodb.table_client import Capacity, DynamoDbFailed, DynamoTable
from carehub.events.model import DeadLetter
from carehub.kernel.pagination import Page, cursor_position, encode_cursor

_ALL = "DEAD_LETTERS"
_FAILED_CONDITION = "ConditionalCheckFailedException"


def _letter_key(letter_id: str) -> dict[str, str]:
    return key_of(f"DEAD_LETTER#{letter_id}", "LETTER")


def _guard_key(consumer: str, event_id: str) -> dict[str, str]:
    return key_of(f"PARKED#{consumer}#{event_id}", "GUARD")


def _by_consumer(consumer: str) -> str:
    return f"DEAD_LETTERS#{consumer}"


class DynamoDeadLetters:
    """`carehub.events.ports.DeadLetters` on carehub's table (each call its own write, as
    the SQL adapter's own transactions)."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    async def park(self, letter: DeadLetter) -> None:
        guard = _guard_key(letter.consumer, letter.message.event_id)
        for _ in range(2):  # a racing first park of the same event makes the second update
            parked = await self._table.get(guard, Capacity())
            if parked is not None:
                await self._update(
                    parked["letter_id"],
                    "SET attempts = :attempts, last_error = :error, parked_at = :at "
                    "REMOVE replayed_at",
                    {
                        ":attempts": letter.attempts,
                        ":error": letter.last_error,
                        ":at": utc_text(letter.parked_at),
                    },
                )
                return
            guard_item = {**guard, "kind": "dead-letter-guard", "letter_id": letter.letter_id}
            actions = [
                {"Put": {"TableName": self._table.name, "Item": to_wire(guard_item),
                         "ConditionExpression": "attribute_not_exists(PK)"}},
                {"Put": {"TableName": self._table.name, "Item": to_wire(_item(letter))}},
            ]  # fmt: skip
            if await self._table.transact(actions, Capacity()) is None:
                return
        raise DynamoDbFailed("DynamoDB kept cancelling the dead letter's write; try again")

    async def get(self, letter_id: str) -> DeadLetter | None:
        item = await self._table.get(_letter_key(letter_id), Capacity())
        return None if item is None else _letter(item)

    async def page(
        self, *, consumer: str | None, include_replayed: bool, cursor: str | None, limit: int
    ) -> Page[DeadLetter]:
        index, partition = ("GSI1", _ALL) if consumer is None else ("GSI2", _by_consumer(consumer))
        values: dict[str, Any] = {":pk": partition}
        condition = f"{index}PK = :pk"
        if cursor is not None:
            values[":before"] = cursor_position(cursor, "id", str)
            condition += f" AND {index}SK < :before"
        params: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,  # newest first, as ids are time ordered
        }
        if not include_replayed:
            params["FilterExpression"] = "attribute_not_exists(replayed_at)"
        params["ExpressionAttributeValues"] = to_wire(values)
        found: list[Item] = []
        while len(found) <= limit:
            params["Limit"] = limit + 1 - len(found)
            items, last = await self._table.query(Capacity(), **params)
            found += items
            if last is None:
                break
            params["ExclusiveStartKey"] = last
        letters = [_letter(item) for item in found[:limit]]
        more = len(found) > limit
        return Page(letters, encode_cursor({"id": letters[-1].letter_id}) if more else None)

    async def claim_replay(self, letter_id: str, at: datetime) -> bool:
        return await self._update(
            letter_id,
            "SET replayed_at = :at",
            {":at": utc_text(at)},
            condition="attribute_exists(PK) AND attribute_not_exists(replayed_at)",
        )

    async def note_failed_replay(self, letter_id: str, error: str, at: datetime) -> None:
        await self._update(
            letter_id,
            "SET last_error = :error, parked_at = :at ADD attempts :one REMOVE replayed_at",
            {":error": error, ":at": utc_text(at), ":one": 1},
        )

    async def waiting(self) -> int:
        """A count over the letters' index (dead letters are few; each costs a read unit
        per 4 KB of letters whether it is counted or filtered out)."""
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk",
            "FilterExpression": "attribute_not_exists(replayed_at)",
            "ExpressionAttributeValues": to_wire({":pk": _ALL}),
            "Select": "COUNT",
        }
        total = 0
        while True:
            response = await self._table.call("count", partial(_count, dict(params)))
            total += int(response.get("Count", 0))
            last = response.get("LastEvaluatedKey")
            if last is None:
                return total
            params["ExclusiveStartKey"] = last

    async def _update(
        self,
        letter_id: str,
        expression: str,
        values: dict[str, Any],
        *,
        condition: str = "attribute_exists(PK)",
    ) -> bool:
        """Update the letter; False when the condition failed (by default: it is gone)."""
        request = {
            "TableName": self._table.name,
            "Key": to_wire(_letter_key(letter_id)),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": to_wire(values),
        }
        try:
            await self._table.call("dead letter update", lambda c: c.update_item(**request))
        except DynamoDbFailed as exc:
            if exc.aws_code != _FAILED_CONDITION:
                raise
            return False
        return True


def _count(params: dict[str, Any], client: Any) -> Any:
    return client.query(**params)


def _item(letter: DeadLetter) -> Item:
    message = letter.message
    return {
        **_letter_key(letter.letter_id),
        "kind": "dead-letter",
        "letter_id": letter.letter_id,
        "consumer": letter.consumer,
        "event_id": message.event_id,
        "event_type": message.event_type,
        "aggregate_id": message.aggregate_id,
        "actor_id": message.actor_id,
        "occurred_at": utc_text(message.occurred_at),
        "payload": orjson.dumps(message.payload).decode(),
        "attempts": letter.attempts,
        "last_error": letter.last_error,
        "parked_at": utc_text(letter.parked_at),
        "GSI1PK": _ALL,
        "GSI1SK": letter.letter_id,
        "GSI2PK": _by_consumer(letter.consumer),
        "GSI2SK": letter.letter_id,
    }


def _letter(item: Item) -> DeadLetter:
    replayed = item.get("replayed_at")
    return DeadLetter(
        letter_id=item["letter_id"],
        consumer=item["consumer"],
        message=message_from_item(item),
        attempts=as_int(item["attempts"]),
        last_error=item["last_error"],
        parked_at=datetime.fromisoformat(item["parked_at"]),
        replayed_at=None if replayed is None else datetime.fromisoformat(replayed),
    )
