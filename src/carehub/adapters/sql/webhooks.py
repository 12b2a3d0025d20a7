"""Webhook subscriptions, deliveries and attempts on SQL (the webhooks domain's repository)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from carehub.adapters.sql.database import Row, Session, Statement, as_datetime, insert_into
from carehub.adapters.sql.tables import (
    webhook_attempts,
    webhook_deliveries,
    webhook_subscriptions,
)
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

s = webhook_subscriptions.c
d = webhook_deliveries.c
a = webhook_attempts.c
ACTIVE = SubscriptionStatus.ACTIVE.value
PENDING = DeliveryStatus.PENDING.value

_INSERT_SUBSCRIPTION = insert_into(webhook_subscriptions, generated=())
_SUBSCRIPTION = Statement(sa.select(webhook_subscriptions).where(s.id == sa.bindparam("id")))
_LIST_SUBSCRIPTIONS = Statement(
    sa.select(webhook_subscriptions)
    .where(s.id > sa.bindparam("after"))
    .order_by(s.id)
    .limit(sa.bindparam("limit"))
)
_ACTIVE_SUBSCRIPTIONS = Statement(
    sa.select(webhook_subscriptions).where(s.status == ACTIVE).order_by(s.id)
)
_DELETE_SUBSCRIPTION = Statement(sa.delete(webhook_subscriptions).where(s.id == sa.bindparam("id")))
_RESUME = Statement(
    sa.update(webhook_subscriptions)
    .where(s.id == sa.bindparam("id"))
    .values(status=ACTIVE, consecutive_failures=0, updated_at=sa.bindparam("at"))
)
# Incremented in the statement, not read and written back: attempts of one subscription
# are recorded concurrently.
_COUNT_FAILURE = Statement(
    sa.update(webhook_subscriptions)
    .where(s.id == sa.bindparam("id"))
    .values(consecutive_failures=s.consecutive_failures + 1, updated_at=sa.bindparam("at"))
    .returning(s.consecutive_failures)
)
_RESET_FAILURES = Statement(
    sa.update(webhook_subscriptions)
    .where(s.id == sa.bindparam("id"), s.consecutive_failures != 0)
    .values(consecutive_failures=0, updated_at=sa.bindparam("at"))
)
_PAUSE = Statement(
    sa.update(webhook_subscriptions)
    .where(s.id == sa.bindparam("id"), s.status == ACTIVE)
    .values(status=SubscriptionStatus.PAUSED.value, updated_at=sa.bindparam("at"))
)

# ON CONFLICT rather than catching the violation: on PostgreSQL a failed statement aborts
# the whole transaction, which also records the event as processed. SQLite's compiler
# renders this construct in the same words.
_QUEUE = Statement(
    postgresql.insert(webhook_deliveries)
    .values({c.name: sa.bindparam(c.name, type_=c.type) for c in webhook_deliveries.c})
    .on_conflict_do_nothing(index_elements=["subscription_id", "event_id"])
)
# Due, pending, not claimed by anyone else, of a subscription that is not paused. The
# conditions are repeated outside the subquery: PostgreSQL re-checks them on a row another
# transaction changed meanwhile, and SKIP LOCKED lets concurrent claimers take other rows
# (SQLite, which serialises writers, ignores FOR UPDATE).
_CLAIMABLE = sa.and_(
    d.status == PENDING,
    d.next_attempt_at <= sa.bindparam("now"),
    sa.or_(d.claimed_until.is_(None), d.claimed_until < sa.bindparam("now")),
)
_CLAIM = Statement(
    sa.update(webhook_deliveries)
    .where(
        d.id.in_(
            sa.select(d.id)
            .select_from(webhook_deliveries.join(webhook_subscriptions))
            .where(_CLAIMABLE, s.status == ACTIVE)
            .order_by(d.next_attempt_at)
            .limit(sa.bindparam("limit"))
            .with_for_update(of=webhook_deliveries, skip_locked=True)
        ),
        _CLAIMABLE,
    )
    .values(claimed_until=sa.bindparam("until"))
    .returning(*webhook_deliveries.c)
)
_ANY_CLAIMABLE = Statement(
    sa.select(d.id)
    .select_from(webhook_deliveries.join(webhook_subscriptions))
    .where(_CLAIMABLE, s.status == ACTIVE)
    .limit(1)
)
_RECORD_DELIVERY = Statement(
    sa.update(webhook_deliveries)
    .where(
        d.id == sa.bindparam("id"),
        d.status == PENDING,
        d.attempts == sa.bindparam("expected_attempts"),
    )
    .values(
        status=sa.bindparam("status"),
        attempts=sa.bindparam("attempts"),
        next_attempt_at=sa.bindparam("next_attempt_at"),
        claimed_until=sa.null(),
        finished_at=sa.bindparam("finished_at"),
    )
)
_INSERT_ATTEMPT = insert_into(webhook_attempts, generated=())


def _deliveries_page(*, first: bool) -> Statement:
    """A page of deliveries joined with their attempts (at most the retry policy's number
    each), newest delivery first."""
    page = sa.select(webhook_deliveries).where(d.subscription_id == sa.bindparam("subscription_id"))
    if not first:
        page = page.where(d.id < sa.bindparam("before"))
    chosen = page.order_by(d.id.desc()).limit(sa.bindparam("limit")).subquery("page")
    return Statement(
        sa.select(chosen, a.attempt, a.at, a.status_code, a.latency_ms, a.error)
        .select_from(chosen.outerjoin(webhook_attempts, a.delivery_id == chosen.c.id))
        .order_by(chosen.c.id.desc(), a.attempt)
    )


_FIRST_DELIVERIES = _deliveries_page(first=True)
_NEXT_DELIVERIES = _deliveries_page(first=False)


class SqlWebhookRepository:
    """The webhooks port over a SQL session."""

    def __init__(self, session: Session, secrets: SecretBox) -> None:
        self._session = session
        self._secrets = secrets

    async def add(self, subscription: WebhookSubscription) -> None:
        row = dict(vars(subscription))
        row["secret"] = self._secrets.seal(subscription.secret)
        row["event_types"] = orjson.dumps(list(subscription.event_types)).decode()
        row["status"] = subscription.status.value
        await self._session.execute(_INSERT_SUBSCRIPTION, row)

    async def get(self, subscription_id: str) -> WebhookSubscription | None:
        row = await self._session.fetch_one(_SUBSCRIPTION, {"id": subscription_id})
        return None if row is None else _subscription(row, self._secrets)

    async def page(self, *, cursor: str | None, limit: int) -> Page[WebhookSubscription]:
        after = "" if cursor is None else cursor_position(cursor, "after", str)
        params = {"after": after, "limit": limit + 1}
        rows = await self._session.fetch_all(_LIST_SUBSCRIPTIONS, params)
        items = [_subscription(r, self._secrets) for r in rows[:limit]]
        next_cursor = encode_cursor({"after": items[-1].id}) if len(rows) > limit else None
        return Page(items=items, next_cursor=next_cursor)

    async def active(self) -> list[WebhookSubscription]:
        return [
            _subscription(r, self._secrets)
            for r in await self._session.fetch_all(_ACTIVE_SUBSCRIPTIONS)
        ]

    async def remove(self, subscription_id: str) -> bool:
        return await self._session.execute(_DELETE_SUBSCRIPTION, {"id": subscription_id}) == 1

    async def resume(self, subscription_id: str, at: datetime) -> bool:
        return await self._session.execute(_RESUME, {"id": subscription_id, "at": at}) == 1

    async def count_failure(self, subscription_id: str, at: datetime) -> int | None:
        row = await self._session.execute_returning(
            _COUNT_FAILURE, {"id": subscription_id, "at": at}
        )
        return None if row is None else int(row["consecutive_failures"])

    async def reset_failures(self, subscription_id: str, at: datetime) -> None:
        await self._session.execute(_RESET_FAILURES, {"id": subscription_id, "at": at})

    async def pause(self, subscription_id: str, at: datetime) -> None:
        await self._session.execute(_PAUSE, {"id": subscription_id, "at": at})

    async def queue(self, deliveries: Sequence[WebhookDelivery]) -> None:
        await self._session.execute_many(_QUEUE, [_delivery_row(x) for x in deliveries])

    async def claim_due(
        self, *, now: datetime, until: datetime, limit: int
    ) -> list[WebhookDelivery]:
        params = {"now": now, "until": until, "limit": limit}
        # Workers poll every second; most polls find nothing, and a read costs no write lock.
        if await self._session.fetch_one(_ANY_CLAIMABLE, params) is None:
            return []
        # UPDATE ... RETURNING many rows: a read on the writer, so the transaction opens first.
        await self._session.begin()
        rows = await self._session.fetch_all(_CLAIM, params)
        return sorted((_delivery(r) for r in rows), key=lambda x: (x.next_attempt_at, x.id))

    async def record_attempt(
        self, delivery: WebhookDelivery, attempt: DeliveryAttempt, *, expected_attempts: int
    ) -> bool:
        params = {
            "id": delivery.id,
            "expected_attempts": expected_attempts,
            "status": delivery.status.value,
            "attempts": delivery.attempts,
            "next_attempt_at": delivery.next_attempt_at,
            "finished_at": delivery.finished_at,
        }
        if await self._session.execute(_RECORD_DELIVERY, params) != 1:
            return False
        await self._session.execute(_INSERT_ATTEMPT, dict(vars(attempt)))
        return True

    async def deliveries(
        self, subscription_id: str, *, cursor: str | None, limit: int
    ) -> Page[DeliveryRecord]:
        params: dict[str, Any] = {"subscription_id": subscription_id, "limit": limit + 1}
        statement = _FIRST_DELIVERIES
        if cursor is not None:
            params["before"] = cursor_position(cursor, "before", str)
            statement = _NEXT_DELIVERIES
        rows = await self._session.fetch_all(statement, params)
        records = _records(rows)
        items = records[:limit]
        more = len(records) > limit
        next_cursor = encode_cursor({"before": items[-1].delivery.id}) if more else None
        return Page(items=items, next_cursor=next_cursor)


def _records(rows: Sequence[Row]) -> list[DeliveryRecord]:
    """Group joined rows (ordered by delivery, then attempt) into deliveries."""
    grouped: dict[str, tuple[WebhookDelivery, list[DeliveryAttempt]]] = {}
    for row in rows:
        delivery_id = row["id"]
        if delivery_id not in grouped:
            grouped[delivery_id] = (_delivery(row), [])
        if row["attempt"] is not None:
            grouped[delivery_id][1].append(
                DeliveryAttempt(
                    delivery_id=delivery_id,
                    attempt=int(row["attempt"]),
                    subscription_id=row["subscription_id"],
                    at=as_datetime(row["at"]),
                    status_code=row["status_code"],
                    latency_ms=float(row["latency_ms"]),
                    error=row["error"],
                )
            )
    return [DeliveryRecord(delivery, tuple(attempts)) for delivery, attempts in grouped.values()]


def _subscription(row: Row, secrets: SecretBox) -> WebhookSubscription:
    types = row["event_types"]
    return WebhookSubscription(
        id=row["id"],
        url=row["url"],
        event_types=tuple(orjson.loads(types) if isinstance(types, str | bytes) else types),
        secret=secrets.open(row["secret"]),
        status=SubscriptionStatus(row["status"]),
        consecutive_failures=int(row["consecutive_failures"]),
        created_by=row["created_by"],
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
    )


def _delivery_row(delivery: WebhookDelivery) -> dict[str, Any]:
    row = dict(vars(delivery))
    row["status"] = delivery.status.value
    return row


def _delivery(row: Row) -> WebhookDelivery:
    return WebhookDelivery(
        id=row["id"],
        subscription_id=row["subscription_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        body=row["body"],
        status=DeliveryStatus(row["status"]),
        attempts=int(row["attempts"]),
        next_attempt_at=as_datetime(row["next_attempt_at"]),
        created_at=as_datetime(row["created_at"]),
        claimed_until=_maybe_datetime(row["claimed_until"]),
        finished_at=_maybe_datetime(row["finished_at"]),
        traceparent=row["traceparent"],
    )


def _maybe_datetime(value: Any) -> datetime | None:
    return None if value is None else as_datetime(value)
