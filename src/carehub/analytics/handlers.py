"""The analytics consumer: each counted event adds one to its day's counter."""

from __future__ import annotations

from carehub.analytics.model import increment_for
from carehub.analytics.ports import AnalyticsUnitOfWork
from carehub.kernel.events import EventMessage


async def count_event(message: EventMessage, uow: AnalyticsUnitOfWork) -> None:
    """Add the event to its counter (the runner makes sure this happens once)."""
    increment = increment_for(message)
    if increment is not None:
        await uow.analytics.add(increment)
