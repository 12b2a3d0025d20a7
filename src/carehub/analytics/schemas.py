"""Wire shapes of the analytics API."""

from __future__ import annotations

from datetime import date

from carehub.analytics.service import DailyCounts
from carehub.web.schemas import WireModel


class DayCountRead(WireModel):
    date: date
    count: int


class DailyRead(WireModel):
    """A metric's counts per day, every day of the range listed."""

    metric: str
    days: list[DayCountRead]

    @classmethod
    def of(cls, counts: DailyCounts) -> DailyRead:
        return cls(
            metric=counts.metric.value,
            days=[DayCountRead(date=day, count=count) for day, count in counts.days],
        )
