"""Where the counters live."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from carehub.analytics.model import Increment, Metric
from carehub.kernel.unit_of_work import UnitOfWork


class AnalyticsRepository(Protocol):
    async def add(self, increment: Increment) -> None:
        """Add one to the counter (created at one), in the unit's transaction."""
        ...

    async def daily(self, metric: Metric, first: date, last: date) -> list[tuple[date, str, int]]:
        """Every (day, dimension, count) of a metric between two days, both included."""
        ...


class AnalyticsUnitOfWork(UnitOfWork, Protocol):
    @property
    def analytics(self) -> AnalyticsRepository: ...
