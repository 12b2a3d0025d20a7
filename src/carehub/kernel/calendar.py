"""Wall-clock opening hours, shared by countries (business hours) and doctors (availability).

Times here are local to some IANA zone that the caller holds; nothing in this module knows
which. Converting to UTC happens in one place: `carehub.scheduling.slots`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, order=True)
class TimeWindow:
    """From `start` to `end` minutes after local midnight; `end` may be 1440 (midnight)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ValueError(f"a time window runs forward within one day: {self.start}-{self.end}")

    @classmethod
    def between(cls, start: time, end: time) -> TimeWindow:
        """The window from `start` to `end`; an `end` of 00:00 means midnight at the close."""
        closing = end.hour * 60 + end.minute
        return cls(start.hour * 60 + start.minute, closing or MINUTES_PER_DAY)

    def contains(self, other: TimeWindow) -> bool:
        return self.start <= other.start and other.end <= self.end

    def label(self) -> str:
        """`HH:MM-HH:MM`, as the API shows it."""
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True, order=True)
class WeeklyWindow:
    """Open every `weekday` (0 is Monday, as `date.weekday()`) during `window`."""

    weekday: int
    window: TimeWindow

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday is 0 (Monday) to 6 (Sunday), not {self.weekday}")


@dataclass(frozen=True, order=True)
class DateOverride:
    """The hours on one local date, replacing the weekly ones; no windows is a day off."""

    on: date
    windows: tuple[TimeWindow, ...] = ()


def windows_on(
    day: date, weekly: tuple[WeeklyWindow, ...], overrides: tuple[DateOverride, ...] = ()
) -> tuple[TimeWindow, ...]:
    """The open windows on one local date, sorted: an override wins over the week."""
    for override in overrides:
        if override.on == day:
            return tuple(sorted(override.windows))
    weekday = day.weekday()
    return tuple(sorted(w.window for w in weekly if w.weekday == weekday))


def parse_hhmm(text: str) -> int:
    """`HH:MM` (24-hour, `24:00` allowed) as minutes after midnight; ValueError otherwise."""
    hours, sep, minutes = text.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"not a HH:MM time: {text!r}")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"not a time of day: {text!r}")
    return value


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class RuleViolation:
    """Why a time cannot be booked: a stable `rule` code (e.g. `lead_time`) and a sentence
    for people that names the rule."""

    rule: str
    message: str
