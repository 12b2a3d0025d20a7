"""Webhook subscriptions and their deliveries in the table (docs/dynamodb.md, "events,
webhooks, analytics"): a subscription item listed in GSI1 (`WEBHOOKS`) and, while active,
in GSI2 (`WEBHOOKS_ACTIVE`); each delivery an item of the subscription's partition carrying
its attempts (a handful, bounded by the retry policy), listed in GSI1 (`DELIVERIES_DUE`)
while pending and in GSI2 per subscription, newest first.

Failure counts and claims are single conditional `UpdateItem`s sent at once rather than
with the unit's transaction: DynamoDB returns the new count of an `ADD` only outside a
transaction, and a claim is a lease that lapses by itself, as SQL's SKIP LOCKED claim does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from carehub.adapters.dynamodb.items import (
    Item,
    Key,
    as_int,
    from_wire,
    key_of,
    to_wire,
    utc_text,
)
from carehub.adapters.dynamodb.pages import index_items, index_page
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.table_client import DynamoDbFailed
from carehub.adapters.dynamodb.writes import NEW_ITEM, Condition
from carehub.kernel.pagination import Page, cursor_position, encode_cursor
from carehub.kernel.secret_box import SecretBox
from carehub.webhooks.model import (
    DeliveryAttempt,
    DeliveryRecord,
    DeliveryStatus,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)

_ACTIVE = "WEBHOOKS_ACTIVE"
_DUE = "DELIVERIES_DUE"
_EXISTS = Condition("attribute_exists(PK)")
_FAILED_CONDITION = "ConditionalCheckFailedException"
# The most deliveries `remove` deletes with its subscription in one transaction; any left
# over stay in the table unlisted (the API lists deliveries of existing subscriptions only)
# and are never claimed (their subscription is gone).
_REMOVED_WITH_SUBSCRIPTION = 90


def _subscription_key(subscription_id: str) -> Key:
    return (f"WEBHOOK#{subscription_id}", "SUBSCRIPTION")


def _delivery_key(subscription_id: str, delivery_id: str) -> Key:
    return (f"WEBHOOK#{subscription_id}", f"DELIVERY#{delivery_id}")


def _queued_key(subscription_id: str, event_id: str) -> Key:
    """The guard that makes one delivery per subscription and event."""
    return (f"WEBHOOK#{subscription_id}", f"EVENT#{event_id}")


def _deliveries_of(subscription_id: str) -> str:
    return f"WEBHOOK#{subscription_id}#DELIVERIES"


class DynamoWebhookRepository:
    """`carehub.webhooks.ports.WebhookRepository` over a DynamoDB session."""

    def __init__(self, session: DynamoSession, secrets: SecretBox) -> None:
        self._session = session
        self._secrets = secrets

    async def add(self, subscription: WebhookSubscription) -> None:
        self._session.writes.put(self._subscription_item(subscription), condition=NEW_ITEM)

    async def get(self, subscription_id: str) -> WebhookSubscription | None:
        item = await self._session.get(_subscription_key(subscription_id))
        return None if item is None else self._subscription(item)

    async def page(self, *, cursor: str | None, limit: int) -> Page[WebhookSubscription]:
        return await index_page(
            self._session, "GSI1", "WEBHOOKS", cursor=cursor, limit=limit, record=self._subscription
        )

    async def active(self) -> list[WebhookSubscription]:
        items = await index_items(self._session, "GSI2", _ACTIVE, limit=None)
        return [self._subscription(item) for item in items]

    async def remove(self, subscription_id: str) -> bool:
        key = _subscription_key(subscription_id)
        if await self._session.get(key) is None:
            return False
        self._session.writes.delete(key, condition=_EXISTS)
        items, _ = await self._session.query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :delivery)",
            ExpressionAttributeValues=to_wire({":pk": key[0], ":delivery": "DELIVERY#"}),
            Limit=_REMOVED_WITH_SUBSCRIPTION,
        )
        for item in items:
            self._session.writes.delete((item["PK"], item["SK"]))
        return True

    async def resume(self, subscription_id: str, at: datetime) -> bool:
        key = _subscription_key(subscription_id)
        if await self._session.get(key) is None:
            return False
        self._session.writes.update(
            key,
            "SET #status = :active, failures = :zero, updated_at = :at, "
            "GSI2PK = :listed, GSI2SK = :id",
            {
                ":active": SubscriptionStatus.ACTIVE.value,
                ":zero": 0,
                ":at": utc_text(at),
                ":listed": _ACTIVE,
                ":id": subscription_id,
            },
            names={"#status": "status"},
            condition=_EXISTS,
        )
        return True

    async def count_failure(self, subscription_id: str, at: datetime) -> int | None:
        request = {
            "TableName": self._session.table.name,
            "Key": to_wire(key_of(*_subscription_key(subscription_id))),
            "UpdateExpression": "ADD failures :one SET updated_at = :at",
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeValues": to_wire({":one": 1, ":at": utc_text(at)}),
            "ReturnValues": "UPDATED_NEW",
        }
        response = await self._at_once("failure count", request, "update_item")
        return None if response is None else as_int(from_wire(response["Attributes"])["failures"])

    async def reset_failures(self, subscription_id: str, at: datetime) -> None:
        stored = await self._session.get(_subscription_key(subscription_id))
        if stored is None or as_int(stored["failures"]) == 0:
            return
        self._session.writes.update(
            _subscription_key(subscription_id),
            "SET failures = :zero, updated_at = :at",
            {":zero": 0, ":at": utc_text(at)},
            condition=_EXISTS,
        )

    async def pause(self, subscription_id: str, at: datetime) -> None:
        stored = await self._session.get(_subscription_key(subscription_id))
        if stored is None or stored["status"] != SubscriptionStatus.ACTIVE.value:
            return
        self._session.writes.update(
            _subscription_key(subscription_id),
            "SET #status = :paused, updated_at = :at REMOVE GSI2PK, GSI2SK",
            {":paused": SubscriptionStatus.PAUSED.value, ":at": utc_text(at)},
            names={"#status": "status"},
            condition=_EXISTS,
        )

    async def queue(self, deliveries: Sequence[WebhookDelivery]) -> None:
        for delivery in deliveries:
            guard = _queued_key(delivery.subscription_id, delivery.event_id)
            if await self._session.get(guard) is not None:
                continue  # queued when the event was applied before
            writes = self._session.writes
            writes.put(
                {"PK": guard[0], "SK": guard[1], "kind": "webhook-queued"}, condition=NEW_ITEM
            )
            writes.put(_delivery_item(delivery, ()), condition=NEW_ITEM)

    async def claim_due(
        self, *, now: datetime, until: datetime, limit: int
    ) -> list[WebhookDelivery]:
        params = {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk AND GSI1SK <= :now",
            # The sort key starts with the due time: `~` closes the range after its ids.
            "ExpressionAttributeValues": to_wire({":pk": _DUE, ":now": utc_text(now) + "~"}),
            "Limit": limit * 2,
        }
        due, _ = await self._session.query(**params)
        active: dict[str, bool] = {}
        claimed: list[WebhookDelivery] = []
        for item in due:
            if len(claimed) == limit:
                break
            subscription_id = item["subscription_id"]
            if subscription_id not in active:
                stored = await self._session.get(_subscription_key(subscription_id))
                active[subscription_id] = (
                    stored is not None and stored["status"] == SubscriptionStatus.ACTIVE.value
                )
            if active[subscription_id] and await self._claim(item, now, until):
                claimed.append(_delivery(item, until))
        return sorted(claimed, key=lambda x: (x.next_attempt_at, x.id))

    async def record_attempt(
        self, delivery: WebhookDelivery, attempt: DeliveryAttempt, *, expected_attempts: int
    ) -> bool:
        key = _delivery_key(delivery.subscription_id, delivery.id)
        stored = await self._session.get(key)
        if (
            stored is None
            or stored["status"] != DeliveryStatus.PENDING.value
            or as_int(stored["attempts"]) != expected_attempts
        ):
            return False
        attempts = (*_attempts(stored), attempt)
        self._session.writes.put(
            _delivery_item(delivery, attempts),
            condition=Condition(
                "attempts = :expected_attempts AND #status = :pending",
                {":expected_attempts": expected_attempts, ":pending": DeliveryStatus.PENDING.value},
                {"#status": "status"},
            ),
        )
        return True

    async def deliveries(
        self, subscription_id: str, *, cursor: str | None, limit: int
    ) -> Page[DeliveryRecord]:
        values: dict[str, Any] = {":pk": _deliveries_of(subscription_id)}
        condition = "GSI2PK = :pk"
        if cursor is not None:
            values[":before"] = cursor_position(cursor, "before", str)
            condition += " AND GSI2SK < :before"
        params: dict[str, Any] = {
            "IndexName": "GSI2",
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_wire(values),
            "ScanIndexForward": False,  # newest first: delivery ids are time ordered
        }
        found: list[Item] = []
        while len(found) <= limit:
            params["Limit"] = limit + 1 - len(found)
            items, last = await self._session.query(**params)
            found += items
            if last is None:
                break
            params["ExclusiveStartKey"] = last
        records = [DeliveryRecord(_delivery(item), _attempts(item)) for item in found[:limit]]
        more = len(found) > limit
        next_cursor = encode_cursor({"before": records[-1].delivery.id}) if more else None
        return Page(items=records, next_cursor=next_cursor)

    async def _claim(self, item: Item, now: datetime, until: datetime) -> bool:
        request = {
            "TableName": self._session.table.name,
            "Key": to_wire(key_of(item["PK"], item["SK"])),
            "UpdateExpression": "SET claimed_until = :until",
            # Still pending and unclaimed (or its claim lapsed): two claimers never both win.
            "ConditionExpression": "#status = :pending AND attempts = :attempts AND "
            "(attribute_not_exists(claimed_until) OR claimed_until < :now)",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_wire(
                {
                    ":until": utc_text(until),
                    ":now": utc_text(now),
                    ":pending": DeliveryStatus.PENDING.value,
                    ":attempts": item["attempts"],
                }
            ),
        }
        return await self._at_once("delivery claim", request, "update_item") is not None

    async def _at_once(self, what: str, request: dict[str, Any], method: str) -> Any:
        """A single conditional call sent now; None when its condition failed."""
        try:
            return await self._session.table.call(what, lambda c: getattr(c, method)(**request))
        except DynamoDbFailed as exc:
            if exc.aws_code != _FAILED_CONDITION:
                raise
            return None

    def _subscription_item(self, subscription: WebhookSubscription) -> Item:
        active = subscription.status is SubscriptionStatus.ACTIVE
        item: Item = {
            "PK": _subscription_key(subscription.id)[0],
            "SK": _subscription_key(subscription.id)[1],
            "kind": "webhook-subscription",
            "id": subscription.id,
            "url": subscription.url,
            "event_types": list(subscription.event_types),
            "secret": self._secrets.seal(subscription.secret),
            "status": subscription.status.value,
            "failures": subscription.consecutive_failures,
            "created_by": subscription.created_by,
            "created_at": utc_text(subscription.created_at),
            "updated_at": utc_text(subscription.updated_at),
            "GSI1PK": "WEBHOOKS",
            "GSI1SK": subscription.id,
        }
        if active:
            item |= {"GSI2PK": _ACTIVE, "GSI2SK": subscription.id}
        return item

    def _subscription(self, item: Item) -> WebhookSubscription:
        return WebhookSubscription(
            id=item["id"],
            url=item["url"],
            event_types=tuple(item["event_types"]),
            secret=self._secrets.open(item["secret"]),
            status=SubscriptionStatus(item["status"]),
            consecutive_failures=as_int(item["failures"]),
            created_by=item["created_by"],
            created_at=datetime.fromisoformat(item["created_at"]),
            updated_at=datetime.fromisoformat(item["updated_at"]),
        )


def _delivery_item(delivery: WebhookDelivery, attempts: Sequence[DeliveryAttempt]) -> Item:
    pk, sk = _delivery_key(delivery.subscription_id, delivery.id)
    item: Item = {
        "PK": pk,
        "SK": sk,
        "kind": "webhook-delivery",
        "id": delivery.id,
        "subscription_id": delivery.subscription_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "body": delivery.body,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "next_attempt_at": utc_text(delivery.next_attempt_at),
        "created_at": utc_text(delivery.created_at),
        "attempt_log": orjson.dumps([_attempt_row(a) for a in attempts]).decode(),
        "GSI2PK": _deliveries_of(delivery.subscription_id),
        "GSI2SK": delivery.id,
    }
    if delivery.finished_at is not None:
        item["finished_at"] = utc_text(delivery.finished_at)
    if delivery.traceparent is not None:
        item["traceparent"] = delivery.traceparent
    if delivery.status is DeliveryStatus.PENDING:
        item |= {"GSI1PK": _DUE, "GSI1SK": f"{utc_text(delivery.next_attempt_at)}#{delivery.id}"}
    return item


def _delivery(item: Item, claimed_until: datetime | None = None) -> WebhookDelivery:
    stored_claim = item.get("claimed_until")
    finished = item.get("finished_at")
    return WebhookDelivery(
        id=item["id"],
        subscription_id=item["subscription_id"],
        event_id=item["event_id"],
        event_type=item["event_type"],
        body=item["body"],
        status=DeliveryStatus(item["status"]),
        attempts=as_int(item["attempts"]),
        next_attempt_at=datetime.fromisoformat(item["next_attempt_at"]),
        created_at=datetime.fromisoformat(item["created_at"]),
        claimed_until=claimed_until
        or (None if stored_claim is None else datetime.fromisoformat(stored_claim)),
        finished_at=None if finished is None else datetime.fromisoformat(finished),
        traceparent=item.get("traceparent"),
    )


def _attempt_row(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "attempt": attempt.attempt,
        "at": utc_text(attempt.at),
        "status_code": attempt.status_code,
        "latency_ms": attempt.latency_ms,
        "error": attempt.error,
    }


def _attempts(item: Item) -> tuple[DeliveryAttempt, ...]:
    return tuple(
        DeliveryAttempt(
            delivery_id=item["id"],
            attempt=row["attempt"],
            subscription_id=item["subscription_id"],
            at=datetime.fromisoformat(row["at"]),
            status_code=row["status_code"],
            latency_ms=float(row["latency_ms"]),
            error=row["error"],
        )
        for row in orjson.loads(item["attempt_log"])
    )
