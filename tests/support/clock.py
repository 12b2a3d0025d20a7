"""Clocks tests can move forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from carehub.kernel.clock import FixedClock


class AdjustableClock:
    """The real time plus an offset that tests set."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


class StillClock(FixedClock):
    """A clock that stands still at a chosen time until a test moves it."""

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)
