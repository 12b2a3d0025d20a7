"""Daily counters in the table: one item per metric, day and dimension, bumped by an atomic
`ADD` in the unit's transaction (docs/dynamodb.md, "events, webhooks, analytics")."""

from __future__ import annotations

from datetime import date
from typing import Any

from carehub.adapters.dynamodb.items import Key, as_int, to_wire
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.analytics.model import Increment, Metric

# Sorts after every dimension, so `DAY#{last}~` ends the last day's range.
_AFTER_DAY = "~"


def _key(increment: Increment) -> Key:
    return (
        f"ANALYTICS#{increment.metric.value}",
        f"DAY#{increment.day.isoformat()}#{increment.dimension}",
    )


class DynamoAnalyticsRepository:
    """`carehub.analytics.ports.AnalyticsRepository` over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session
        # A transaction touches an item once: a unit's increments of one counter add up.
        self._pending: dict[Key, int] = {}

    async def add(self, increment: Increment) -> None:
        key = _key(increment)
        self._pending[key] = self._pending.get(key, 0) + 1
        self._session.writes.update(
            key,
            "ADD #count :n SET kind = :kind, metric = :metric, dimension = :dimension, #day = :day",
            {
                ":n": self._pending[key],
                ":kind": "analytics-counter",
                ":metric": increment.metric.value,
                ":dimension": increment.dimension,
                ":day": increment.day.isoformat(),
            },
            names={"#count": "count", "#day": "day"},
        )

    async def daily(self, metric: Metric, first: date, last: date) -> list[tuple[date, str, int]]:
        params: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :first AND :last",
            "ExpressionAttributeValues": to_wire(
                {
                    ":pk": f"ANALYTICS#{metric.value}",
                    ":first": f"DAY#{first.isoformat()}",
                    ":last": f"DAY#{last.isoformat()}{_AFTER_DAY}",
                }
            ),
        }
        found = []
        while True:
            items, last_key = await self._session.query(**params)
            found += [
                (date.fromisoformat(item["day"]), item["dimension"], as_int(item["count"]))
                for item in items
            ]
            if last_key is None:
                return found
            params["ExclusiveStartKey"] = last_key
