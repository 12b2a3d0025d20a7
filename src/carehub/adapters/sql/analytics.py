"""Daily counters on SQL: one row per metric, dimension and day, bumped by an upsert."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from carehub.adapters.sql.database import Session, Statement, as_date
from carehub.adapters.sql.tables import analytics_daily
from carehub.analytics.model import Increment, Metric

_a = analytics_daily.c
_ADD = Statement(
    sa.text("""
INSERT INTO analytics_daily (metric, dimension, day, count) VALUES (:metric, :dimension, :day, 1)
ON CONFLICT (metric, dimension, day) DO UPDATE SET count = analytics_daily.count + 1
""")
)
_DAILY = Statement(
    sa.select(_a.day, _a.dimension, _a.count)
    .where(
        _a.metric == sa.bindparam("metric"),
        _a.day >= sa.bindparam("first", type_=_a.day.type),
        _a.day <= sa.bindparam("last", type_=_a.day.type),
    )
    .order_by(_a.day)
)


class SqlAnalyticsRepository:
    """`carehub.analytics.ports.AnalyticsRepository` in one unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, increment: Increment) -> None:
        await self._session.execute(
            _ADD,
            {
                "metric": increment.metric.value,
                "dimension": increment.dimension,
                "day": increment.day,
            },
        )

    async def daily(self, metric: Metric, first: date, last: date) -> list[tuple[date, str, int]]:
        rows = await self._session.fetch_all(
            _DAILY, {"metric": metric.value, "first": first, "last": last}
        )
        found = []
        for row in rows:
            day = as_date(row["day"])
            assert day is not None  # the column is part of the primary key
            found.append((day, row["dimension"], int(row["count"])))
        return found
