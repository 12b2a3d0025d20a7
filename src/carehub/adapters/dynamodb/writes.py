"""A unit of work's buffered writes: each one DynamoDB transaction item, carrying the
condition it is written under and the error to raise when that condition fails."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from carehub.adapters.dynamodb.items import Item, Key, key_of, to_wire
from carehub.kernel.errors import Invalid, PreconditionFailed

MAX_TRANSACTION_ITEMS = 100  # TransactWriteItems' limit

Refusal = Callable[[], Exception]


class ChangedMeanwhile(PreconditionFailed):
    """A record changed between this unit's read and its commit (a conditional write lost)."""

    def __init__(self) -> None:
        super().__init__("The record changed while this request ran; read it again")


class TransactionTooLarge(Invalid):
    """The change needs more writes than one DynamoDB transaction takes."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"This change needs {count} writes; a DynamoDB transaction takes at most "
            f"{MAX_TRANSACTION_ITEMS} (see docs/dynamodb.md, the 100-item transaction limit)"
        )
        self.count = count


@dataclass(frozen=True)
class Condition:
    """A condition expression with its placeholders' values (plain) and names."""

    expression: str
    values: Mapping[str, Any] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)


NEW_ITEM = Condition("attribute_not_exists(PK)")


def version_is(expected: int) -> Condition:
    return Condition("version = :expected_version", {":expected_version": expected})


@dataclass(frozen=True)
class Write:
    """One transaction item: `action` is Put, Delete, Update or ConditionCheck."""

    action: str
    key: Key
    body: dict[str, Any]
    condition: Condition | None
    refusal: Refusal
    # What a later read by key in the same unit sees: the item a Put writes, None after a
    # Delete; `visible` False when the write does not say (Update, ConditionCheck).
    image: Item | None = None
    visible: bool = True

    def transact_item(self, table: str) -> dict[str, Any]:
        return {self.action: self.request(table)}

    def request(self, table: str) -> dict[str, Any]:
        """The write's parameters, as its transaction item or its own call takes them."""
        body: dict[str, Any] = {"TableName": table, **self.body}
        condition = self.condition
        if condition is not None:
            body["ConditionExpression"] = condition.expression
            # An Update's own placeholders are joined by the condition's.
            if condition.values:
                values = {**body.get("ExpressionAttributeValues", {}), **to_wire(condition.values)}
                body["ExpressionAttributeValues"] = values
            if condition.names:
                names = {**body.get("ExpressionAttributeNames", {}), **condition.names}
                body["ExpressionAttributeNames"] = names
        return body


class WriteBuffer:
    """The writes of one unit of work, one per item (a transaction may touch an item once):
    a second write to an item replaces the first and keeps the first one's condition, which
    is about what the table held before this unit."""

    def __init__(self) -> None:
        self._writes: dict[Key, Write] = {}

    def put(
        self, item: Item, *, condition: Condition | None = None, refusal: Refusal = ChangedMeanwhile
    ) -> None:
        key: Key = (item["PK"], item["SK"])
        write = Write("Put", key, {"Item": to_wire(item)}, condition, refusal, item)
        self._add(write)

    def delete(
        self, key: Key, *, condition: Condition | None = None, refusal: Refusal = ChangedMeanwhile
    ) -> None:
        self._add(Write("Delete", key, {"Key": to_wire(key_of(*key))}, condition, refusal))

    def update(
        self,
        key: Key,
        expression: str,
        values: Mapping[str, Any],
        *,
        names: Mapping[str, str] | None = None,
        condition: Condition | None = None,
        refusal: Refusal = ChangedMeanwhile,
    ) -> None:
        """An `UpdateExpression` (e.g. `ADD count :n`, applied atomically by DynamoDB); a
        later update of the same item replaces it, so its expression must say it all."""
        body: dict[str, Any] = {
            "Key": to_wire(key_of(*key)),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": to_wire(values),
        }
        if names:
            body["ExpressionAttributeNames"] = dict(names)
        self._add(Write("Update", key, body, condition, refusal, visible=False))

    def check(self, key: Key, condition: Condition, *, refusal: Refusal) -> None:
        body = {"Key": to_wire(key_of(*key))}
        self._add(Write("ConditionCheck", key, body, condition, refusal, visible=False))

    def seen(self, key: Key) -> tuple[bool, Item | None]:
        """(True, what this unit wrote) when it wrote the item; (False, None) otherwise."""
        write = self._writes.get(key)
        if write is None or not write.visible:
            return False, None
        return True, write.image

    def written(self, sk: str) -> dict[str, Item | None]:
        """What this unit wrote to the items with sort key `sk`, by partition key (None:
        deleted), for queries to lay over what the table returned."""
        return {
            key[0]: write.image
            for key, write in self._writes.items()
            if key[1] == sk and write.visible
        }

    def writes(self) -> list[Write]:
        return list(self._writes.values())

    def clear(self) -> None:
        self._writes.clear()

    def _add(self, write: Write) -> None:
        earlier = self._writes.get(write.key)
        if earlier is not None and earlier.action == write.action == "Update":
            write = Write("Update", write.key, write.body, earlier.condition, earlier.refusal)
        elif earlier is not None:
            if earlier.action not in ("Put", "Delete") or write.action not in ("Put", "Delete"):
                raise RuntimeError(f"a unit of work writes an item once ({earlier.action} first)")
            write = Write(
                write.action,
                write.key,
                write.body,
                earlier.condition,
                earlier.refusal,
                write.image,
            )
        self._writes[write.key] = write


class BulkWrites:
    """A unit's idempotent writes too many for its transaction (the search index's
    postings): sent by `BatchWriteItem` before the transaction, step by step in the order
    given. A unit left without committing sends none; one whose transaction then fails
    leaves them written, which writing them again (the retry) leaves as they are."""

    def __init__(self) -> None:
        self._steps: list[tuple[list[Item], list[Key]]] = []

    def add(self, puts: list[Item], deletes: list[Key]) -> None:
        """One step: these items put, then these keys deleted."""
        if puts or deletes:
            self._steps.append((puts, deletes))

    def steps(self) -> list[tuple[list[Item], list[Key]]]:
        return list(self._steps)

    def clear(self) -> None:
        self._steps.clear()
