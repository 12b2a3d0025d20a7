"""Wire shapes of the analytics API."""

from __future__ import annotations

from datetime import date

from carehub.analytics.service import DailyCounts
from carehub.web.schemas import WireModel


class DayCount(WireModel):
    date: date
    count: int


class DailyRead(WireModel):
    """A metric's counts per day, every day of the range listed."""

    metric: str
    days: list[DayCount]

    @classmethod
    def of(cls, counts: DailyCounts) -> DailyRead:
        return cls(
            metric=counts.metric.value,
            days=[DayCount(date=day, count=count) for day, count in counts.days],
        )
