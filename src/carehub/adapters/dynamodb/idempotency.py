"""Idempotency keys in the table: claimed inside the unit of work (`claim_write`), answered
outside it (`DynamoIdempotencyStore`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carehub.adapters.dynamodb.items import Item, Key, as_int, key_of, to_wire, utc_text
from carehub.adapters.dynamodb.table_client import Capacity, DynamoDbFailed, DynamoTable
from carehub.adapters.dynamodb.writes import Condition, Write, WriteBuffer
from carehub.kernel.clock import Clock
from carehub.kernel.idempotency import (
    REPLAY_WINDOW,
    IdempotencyClaim,
    IdempotencyKeyRaced,
    StoredOutcome,
)


def _key(scope: str, key: str) -> Key:
    return (f"IDEMPOTENCY#{scope}#{key}", "RECORD")


def _key_raced() -> Exception:
    return IdempotencyKeyRaced("A request with this Idempotency-Key is in progress")


def claim_write(claim: IdempotencyClaim, resource_id: str | None, now: datetime) -> Write:
    """The claim's item, written with the unit's changes: a live claim of the same key
    refuses it (IdempotencyKeyRaced); one older than the replay window is taken over."""
    pk, sk = _key(claim.scope, claim.key)
    item: Item = {
        "PK": pk,
        "SK": sk,
        "kind": "idempotency",
        "fingerprint": claim.fingerprint,
        "resource_id": resource_id,
        "created_at": utc_text(now),
        # TTL removes it some time after the window; `find` checks the window itself.
        "expires_at": int((now + REPLAY_WINDOW).timestamp()) + 1,
    }
    lapsed = Condition(
        "attribute_not_exists(PK) OR created_at < :window_start",
        {":window_start": utc_text(now - REPLAY_WINDOW)},
    )
    buffer = WriteBuffer()
    buffer.put(item, condition=lapsed, refusal=_key_raced)
    [write] = buffer.writes()
    return write


class DynamoIdempotencyStore:
    """Reads claims and records first responses (`carehub.kernel.idempotency.IdempotencyStore`)."""

    def __init__(self, table: DynamoTable, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    async def find(self, scope: str, key: str) -> StoredOutcome | None:
        item = await self._table.get(key_of(*_key(scope, key)), Capacity())
        window_start = utc_text(self._clock.now() - REPLAY_WINDOW)
        if item is None or item["created_at"] < window_start:
            return None
        status = item.get("status")
        body = item.get("body")
        return StoredOutcome(
            fingerprint=item["fingerprint"],
            resource_id=item.get("resource_id"),
            status=None if status is None else as_int(status),
            body=None if body is None else bytes(body.value),
        )

    async def record_response(self, scope: str, key: str, status: int, body: bytes) -> None:
        request: dict[str, Any] = {
            "TableName": self._table.name,
            "Key": to_wire(key_of(*_key(scope, key))),
            "UpdateExpression": "SET #status = :status, body = :body",
            # Like SQL's UPDATE: a key nobody claimed stays unclaimed.
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_wire({":status": status, ":body": body}),
        }
        try:
            await self._table.call("response record", lambda c: c.update_item(**request))
        except DynamoDbFailed as exc:
            if exc.aws_code != "ConditionalCheckFailedException":
                raise
