"""When a doctor can be booked, in UTC: the one place local wall time becomes UTC.

A wall-clock window [D+start, D+end) on local date D becomes a UTC interval like this:

- a start or an end that falls in a spring-forward gap (a wall time that never happens)
  moves to the transition instant, so a window inside the gap is empty;
- an ambiguous start (a fall-back repeats the wall time) takes the FIRST occurrence
  (fold=0) and an ambiguous end the SECOND (fold=1), so the window covers the whole
  wall-clock range: "01:00-02:00" on a night that falls back from 02:00 to 01:00 is two
  real hours long. An end is exclusive, so it is placed just after the last wall time
  before it: an end exactly where the repeat begins ("00:00-01:00" that night) closes at
  the first 01:00, since no wall time inside the window repeats;
- an end of 1440 is midnight at the start of D+1, converted by the same rules.

So a window runs from the first instant whose wall time (on D) is inside it to just
after the last such instant.

Slots step in real (UTC) minutes from the start of each open interval, so every slot
lasts exactly `slot_minutes` even across a change of offset. A date "touches" a time
range when the range meets that whole date converted as the window [00:00, 24:00).

Because every rule in `booking_problems` is computed from the same conversions that
build the open intervals, every slot from `free_slots` (given `earliest >= now`) passes
`booking_problems` with no violations.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from carehub.kernel.calendar import (
    MINUTES_PER_DAY,
    WEEKDAYS,
    DateOverride,
    RuleViolation,
    TimeWindow,
    WeeklyWindow,
    windows_on,
)

Interval = tuple[datetime, datetime]
_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
_TICK = timedelta(microseconds=1)
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Slot:
    """A bookable [start, end), as aware UTC datetimes."""

    start: datetime
    end: datetime


class SlotRun(NamedTuple):
    """`size` back-to-back slots of `step`, the first from `start` (UTC): one stretch of
    free grid. A tuple, not a dataclass: a month of a busy doctor is hundreds of runs."""

    start: datetime
    size: int
    step: timedelta

    @property
    def end(self) -> datetime:
        return self.start + self.size * self.step

    def slots(self) -> list[Slot]:
        start, step = self.start, self.step
        return [Slot(start + n * step, start + (n + 1) * step) for n in range(self.size)]


@dataclass(frozen=True)
class Calendar:
    """Everything that decides when one doctor is open, in the doctor's zone."""

    zone: ZoneInfo
    weekly: tuple[WeeklyWindow, ...]
    overrides: tuple[DateOverride, ...] = ()
    business_hours: tuple[WeeklyWindow, ...] | None = None  # the country's; None = no limit
    closed_dates: frozenset[date] = frozenset()  # local public holidays: nothing is open


def open_intervals(calendar: Calendar, start: datetime, end: datetime) -> list[Interval]:
    """UTC intervals within [start, end) when the doctor is open, adjacent ones merged."""
    start, end = _utc(start), _utc(end)
    return [
        (max(a, start), min(b, end))
        for a, b in _open(calendar, *_dates(calendar.zone, start, end))
        if a < end and start < b
    ]


def free_slots(
    calendar: Calendar,
    *,
    slot_minutes: int,
    busy: Sequence[Interval],
    start: datetime,
    end: datetime,
    earliest: datetime,
    latest: datetime,
) -> list[Slot]:
    """Free slots of exactly `slot_minutes`, stepped from each open interval's start."""
    runs = free_runs(
        calendar,
        slot_minutes=slot_minutes,
        busy=busy,
        start=start,
        end=end,
        earliest=earliest,
        latest=latest,
    )
    return [slot for run in runs for slot in run.slots()]


def free_runs(
    calendar: Calendar,
    *,
    slot_minutes: int,
    busy: Sequence[Interval],
    start: datetime,
    end: datetime,
    earliest: datetime,
    latest: datetime,
) -> list[SlotRun]:
    """The free slots of `free_slots`, as runs of back-to-back slots in time order."""
    if slot_minutes <= 0:
        raise ValueError("slot_minutes must be positive")
    start, end, earliest, latest = _utc(start), _utc(end), _utc(earliest), _utc(latest)
    step = timedelta(minutes=slot_minutes)
    low, high = max(start, earliest), min(end, latest)
    busy_starts, busy_ends = _merged_busy(busy)
    runs: list[SlotRun] = []
    # intervals are not clipped to the query, so the slot grid stays put when it moves
    for origin, closing in _open(calendar, *_dates(calendar.zone, start, end)):
        lo, hi = max(origin, low), min(closing, high)
        if hi - lo < step:
            continue
        # the busy intervals ending after lo and starting before hi; the free time is
        # around them (an empty stretch where one reaches past lo or hi)
        i = bisect_right(busy_ends, lo)
        j = bisect_left(busy_starts, hi, i)
        for free_start, free_end in zip(
            [lo, *busy_ends[i:j]], [*busy_starts[i:j], hi], strict=True
        ):
            first = -((origin - free_start) // step)  # ceiling: the first grid point in it
            last = (free_end - origin) // step  # grid points whose slot ends by free_end
            if first < last:
                runs.append(SlotRun(origin + first * step, last - first, step))
    return runs


def booking_problems(
    calendar: Calendar,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    earliest: datetime,
    latest: datetime,
) -> list[RuleViolation]:
    """Why [start, end) cannot be booked; empty when the calendar allows it."""
    start, end, now = _utc(start), _utc(end), _utc(now)
    earliest, latest = _utc(earliest), _utc(latest)
    if start >= end:
        raise ValueError("a booking ends after it starts")
    zone = calendar.zone
    first_day, last_day = _dates(zone, start, end)
    problems: list[RuleViolation] = []
    if start < now:
        problems.append(
            RuleViolation(
                "in_the_past",
                f"The requested time is in the past: it starts on {_when(start, zone)}",
            )
        )
    elif start < earliest:
        problems.append(
            RuleViolation(
                "lead_time",
                "The requested time is inside the booking lead time: the earliest start "
                f"is {_when(earliest, zone)}",
            )
        )
    if end > latest:
        problems.append(
            RuleViolation(
                "booking_horizon",
                "The requested time is beyond the booking horizon: bookings must end by "
                f"{_when(latest, zone)}",
            )
        )
    for day in sorted(_closed_between(calendar, first_day, last_day)):
        a, b = _whole_day(zone, day)
        if a < end and start < b:
            problems.append(
                RuleViolation(
                    "public_holiday",
                    f"The requested time falls on a public holiday: {day} ({zone.key})",
                )
            )
            break
    if calendar.business_hours is not None:
        business = _spans(zone, first_day, last_day, lambda d: _weekly_on(d, calendar))
        gap = _first_uncovered(business, start, end)
        if gap is not None:
            problems.append(
                RuleViolation(
                    "outside_business_hours",
                    "The requested time is outside business hours: they do not include "
                    f"{_weekday_at(gap, zone)}",
                )
            )
    own = _spans(
        zone, first_day, last_day, lambda d: windows_on(d, calendar.weekly, calendar.overrides)
    )
    gap = _first_uncovered(own, start, end)
    if gap is not None:
        problems.append(
            RuleViolation(
                "outside_doctor_hours", f"The doctor does not work on {_weekday_at(gap, zone)}"
            )
        )
    return problems


def offset_change(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The instant the offset changes between `before` and `after`, whose offsets differ
    with one change between them."""
    before = before.replace(microsecond=0)  # zone data changes offsets on whole seconds
    offset = before.astimezone(zone).utcoffset()
    low, high = 0, -((before - after) // _SECOND)
    while high - low > 1:
        middle = (low + high) // 2
        if (before + middle * _SECOND).astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return before + high * _SECOND


# Kept: the same doctor's same days are asked for again and again, and converting a month
# of windows costs far more than hashing the calendar. Every input is in the key (a
# calendar is an immutable value), so a change of hours, overrides or holidays is a miss.
@functools.lru_cache(maxsize=256)
def _open(calendar: Calendar, first_day: date, last_day: date) -> tuple[Interval, ...]:
    """Doctor windows (override wins) within business hours, minus closed dates; merged."""
    overrides = tuple(o for o in calendar.overrides if first_day <= o.on <= last_day)

    def windows(day: date) -> Sequence[TimeWindow]:
        own = windows_on(day, calendar.weekly, overrides)
        if calendar.business_hours is None:
            return own
        return _intersect(own, _weekly_on(day, calendar))

    spans = _spans(calendar.zone, first_day, last_day, windows)
    # closed dates are cut out as whole local days, the very spans booking_problems checks,
    # which also cuts a neighbour's window that a fall-back across midnight carries into one
    closed = [_whole_day(calendar.zone, d) for d in _closed_between(calendar, first_day, last_day)]
    return tuple(_subtract(spans, _merge(closed)) if closed else spans)


def _spans(
    zone: ZoneInfo, first_day: date, last_day: date, windows: Callable[[date], Iterable[TimeWindow]]
) -> list[Interval]:
    day = first_day
    spans: list[Interval] = []
    while day <= last_day:
        spans.extend(_convert(zone, day, w) for w in windows(day))
        day += _DAY
    return _merge(spans)


def _convert(zone: ZoneInfo, day: date, window: TimeWindow) -> Interval:
    return _instant(zone, day, window.start, closing=False), _instant(
        zone, day, window.end, closing=True
    )


def _whole_day(zone: ZoneInfo, day: date) -> Interval:
    """A local date as UTC: the window [00:00, 24:00) by the same rules as any other."""
    return _convert(zone, day, TimeWindow(0, MINUTES_PER_DAY))


def _instant(zone: ZoneInfo, day: date, minute: int, *, closing: bool) -> datetime:
    """The UTC instant of a window's edge, by the rules in the module docstring."""
    wall = datetime.combine(day, time()) + minute * _MINUTE
    if closing:  # an end is exclusive: place it just after the last wall time before it
        wall -= _TICK
    earlier, later = zone.utcoffset(wall), zone.utcoffset(wall.replace(fold=1))
    # a ZoneInfo always knows its offset
    assert earlier is not None
    assert later is not None
    if earlier < later:  # a spring-forward gap: the edge is the jump itself
        return offset_change(
            zone, (wall - later).replace(tzinfo=UTC), (wall - earlier).replace(tzinfo=UTC)
        )
    # on a fall-back the wall time happens twice (earlier > later): a start takes the
    # first time, an end the second
    moment = (wall - (later if closing else earlier)).replace(tzinfo=UTC)
    return moment + _TICK if closing else moment


def _intersect(a: Sequence[TimeWindow], b: Sequence[TimeWindow]) -> list[TimeWindow]:
    return [
        TimeWindow(max(x.start, y.start), min(x.end, y.end))
        for x in a
        for y in b
        if max(x.start, y.start) < min(x.end, y.end)
    ]


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined; empty ones dropped."""
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if a >= b:
            continue
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    result: list[Interval] = []
    for a, b in intervals:
        for hole_start, hole_end in holes:
            if hole_start < b and a < hole_end:
                if a < hole_start:
                    result.append((a, hole_start))
                a = max(a, hole_end)
        if a < b:
            result.append((a, b))
    return result


def _merged_busy(busy: Sequence[Interval]) -> tuple[list[datetime], list[datetime]]:
    """The starts and the ends of the busy intervals, merged as `_merge` would: one pass,
    as a month of a busy doctor is hundreds of them."""
    starts: list[datetime] = []
    ends: list[datetime] = []
    for a, b in sorted([(_utc(a), _utc(b)) for a, b in busy]):
        if a >= b:
            raise ValueError("a busy interval ends after it starts")
        if ends and a <= ends[-1]:
            if b > ends[-1]:
                ends[-1] = b
        else:
            starts.append(a)
            ends.append(b)
    return starts, ends


def _first_uncovered(intervals: list[Interval], start: datetime, end: datetime) -> datetime | None:
    """The first instant of [start, end) outside `intervals` (merged), or None."""
    for a, b in intervals:
        if a <= start < b:
            return None if end <= b else b
    return start


def _closed_between(calendar: Calendar, first_day: date, last_day: date) -> set[date]:
    return {d for d in calendar.closed_dates if first_day <= d <= last_day}


def _weekly_on(day: date, calendar: Calendar) -> tuple[TimeWindow, ...]:
    return windows_on(day, calendar.business_hours or ())


def _dates(zone: ZoneInfo, start: datetime, end: datetime) -> tuple[date, date]:
    """Local dates around [start, end), one extra each side for windows reaching over."""
    return start.astimezone(zone).date() - _DAY, end.astimezone(zone).date() + _DAY


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is UTC:  # the common case, checked first: busy lists are long
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"availability needs aware datetimes, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d} at {local:%H:%M} ({zone.key})"


def _weekday_at(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{WEEKDAYS[local.weekday()].capitalize()} at {local:%H:%M} ({zone.key})"
