"""Reading the counters: admins only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from carehub.analytics.model import DIMENSIONS, MAX_DAYS, Metric, matches
from carehub.analytics.ports import AnalyticsUnitOfWork
from carehub.kernel.actor import Actor
from carehub.kernel.errors import FieldError, Forbidden, Invalid


@dataclass(frozen=True)
class DailyCounts:
    metric: Metric
    days: list[tuple[date, int]]


class AnalyticsService:
    def __init__(self, uow_factory: Callable[[], AnalyticsUnitOfWork]) -> None:
        self._uow = uow_factory

    async def daily(
        self, *, actor: Actor, metric: Metric, first: date, last: date, where: dict[str, str]
    ) -> DailyCounts:
        """Counts per day from `first` to `last` (every day listed, zeros included),
        summed over the dimensions `where` leaves open."""
        if not actor.unrestricted:
            raise Forbidden("Only admins read analytics")
        _check_range(first, last)
        unknown = sorted(set(where) - set(DIMENSIONS[metric]))
        if unknown:
            raise Invalid(
                f"{metric} is not counted by {', '.join(unknown)}",
                errors=[FieldError(name, f"not a dimension of {metric}") for name in unknown],
            )
        async with self._uow() as uow:
            rows = await uow.analytics.daily(metric, first, last)
        totals: dict[date, int] = {}
        for day, dimension, count in rows:
            if matches(dimension, where):
                totals[day] = totals.get(day, 0) + count
        span = (last - first).days + 1
        days = [first + timedelta(days=n) for n in range(span)]
        return DailyCounts(metric, [(day, totals.get(day, 0)) for day in days])


def _check_range(first: date, last: date) -> None:
    if last < first:
        raise Invalid("to is before from", errors=[FieldError("to", "must not be before from")])
    if (last - first).days >= MAX_DAYS:
        raise Invalid(
            f"at most {MAX_DAYS} days at once",
            errors=[FieldError("to", f"at most {MAX_DAYS} days after from")],
        )
