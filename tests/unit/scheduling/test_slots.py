"""Availability in UTC: open intervals, free slots and booking rules across time zones and DST."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from carehub.kernel.calendar import DateOverride, TimeWindow, WeeklyWindow, windows_on
from carehub.kernel.weekly_hours import parse_available_times
from carehub.scheduling.slots import (
    Calendar,
    Slot,
    booking_problems,
    free_slots,
    open_intervals,
)

ZONES = [
    "America/Santiago",  # changes at midnight
    "America/New_York",
    "America/Lima",
    "America/Mexico_City",
    "America/Bogota",
    "Europe/London",
    "Australia/Lord_Howe",  # shifts by 30 minutes
    "America/Havana",
    "UTC",
]
FIRST_DAY, LAST_DAY = date(2024, 1, 1), date(2027, 12, 31)
DAY = timedelta(days=1)
WIDE = timedelta(days=3650)
SANTIAGO, NEW_YORK, LIMA = (ZoneInfo(z) for z in ZONES[:3])


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def hours(*texts: str) -> tuple[WeeklyWindow, ...]:
    return parse_available_times(texts)


def slots_around(
    calendar: Calendar, day: date, minutes: int, busy: Sequence[tuple[datetime, datetime]] = ()
) -> list[Slot]:
    """Free slots from the UTC day before `day` to the UTC day after it, with no lead time."""
    start = datetime.combine(day, time(), UTC) - DAY
    return free_slots(
        calendar,
        slot_minutes=minutes,
        busy=busy,
        start=start,
        end=start + 3 * DAY,
        earliest=start - WIDE,
        latest=start + WIDE,
    )


def starts(found: list[Slot]) -> list[datetime]:
    return [s.start for s in found]


def problems(calendar: Calendar, start: datetime, minutes: int = 30) -> list[str]:
    found = booking_problems(
        calendar,
        start=start,
        end=start + timedelta(minutes=minutes),
        now=start - WIDE,
        earliest=start - WIDE,
        latest=start + WIDE,
    )
    return [p.rule for p in found]


def _offset_changes(zone: ZoneInfo) -> list[date]:
    """UTC dates in 2024-2027 during which the zone's offset changes."""
    changes, day = [], FIRST_DAY
    while day <= LAST_DAY:
        before = datetime.combine(day, time(), UTC).astimezone(zone).utcoffset()
        after = datetime.combine(day + DAY, time(), UTC).astimezone(zone).utcoffset()
        if before != after:
            changes.append(day)
        day += DAY
    return changes


CHANGES = {name: _offset_changes(ZoneInfo(name)) for name in ZONES}


def _transitions(zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Each offset change in 2024-2027 as (wall time read just before, just after), naive."""
    found = []
    for day in _offset_changes(zone):
        midnight = datetime.combine(day, time(), UTC)
        old = midnight.astimezone(zone).utcoffset()
        assert old is not None
        low, high = 0, 86400  # seconds after midnight: old offset at low, new at high
        while high - low > 1:
            middle = (low + high) // 2
            at = midnight + timedelta(seconds=middle)
            low, high = (middle, high) if at.astimezone(zone).utcoffset() == old else (low, middle)
        change = midnight + timedelta(seconds=high)
        after = change.astimezone(zone).replace(tzinfo=None, fold=0)
        found.append(((change + old).replace(tzinfo=None), after))
    return found


TRANSITIONS = {name: _transitions(ZoneInfo(name)) for name in ZONES if CHANGES[name]}


def local_open(calendar: Calendar, day: date) -> list[TimeWindow]:
    """The wall-clock windows the doctor is open on `day`, worked out independently."""
    if day in calendar.closed_dates:
        return []
    own = windows_on(day, calendar.weekly, calendar.overrides)
    if calendar.business_hours is None:
        return list(own)
    country = windows_on(day, calendar.business_hours)
    return [
        TimeWindow(max(a.start, b.start), min(a.end, b.end))
        for a in own
        for b in country
        if max(a.start, b.start) < min(a.end, b.end)
    ]


def merged_minutes(windows: list[TimeWindow]) -> list[TimeWindow]:
    merged: list[TimeWindow] = []
    for w in sorted(windows):
        if merged and w.start <= merged[-1].end:
            merged[-1] = TimeWindow(merged[-1].start, max(merged[-1].end, w.end))
        else:
            merged.append(w)
    return merged


# -- the seed, and every rule ---------------------------------------------------------------


def test_seed_request_is_in_the_past_and_outside_the_doctors_hours() -> None:
    calendar = Calendar(SANTIAGO, hours("Monday 10am-4pm", "Wednesday 1pm-5pm"))
    now = utc(2026, 11, 23)
    found = booking_problems(
        calendar,
        start=utc(2024, 10, 25, 10),
        end=utc(2024, 10, 25, 10, 30),
        now=now,
        earliest=now + timedelta(hours=2),
        latest=now + timedelta(days=90),
    )
    assert [p.rule for p in found] == ["in_the_past", "outside_doctor_hours"]
    assert found[0].message == (
        "The requested time is in the past: it starts on 2024-10-25 at 07:00 (America/Santiago)"
    )
    assert found[1].message == "The doctor does not work on Friday at 07:00 (America/Santiago)"


def test_every_failing_rule_is_reported_in_order() -> None:
    calendar = Calendar(
        SANTIAGO,
        hours("Monday 10am-4pm", "Wednesday 1pm-5pm"),
        business_hours=hours("Mon-Fri 9am-6pm"),
        closed_dates=frozenset({date(2024, 10, 25)}),
    )
    found = booking_problems(
        calendar,
        start=utc(2024, 10, 25, 10),
        end=utc(2024, 10, 25, 10, 30),
        now=utc(2026, 11, 23),
        earliest=utc(2026, 11, 24),
        latest=utc(2024, 10, 25, 10, 15),
    )
    assert [p.rule for p in found] == [
        "in_the_past",
        "booking_horizon",
        "public_holiday",
        "outside_business_hours",
        "outside_doctor_hours",
    ]
    assert "2024-10-25 at 07:15 (America/Santiago)" in found[1].message
    assert "public holiday: 2024-10-25" in found[2].message
    assert "business hours" in found[3].message
    assert "Friday at 07:00 (America/Santiago)" in found[3].message


def test_lead_time_and_horizon() -> None:
    calendar = Calendar(LIMA, hours("Monday 9am-5pm"))
    now = utc(2025, 1, 6, 14)  # Monday 09:00 in Lima
    rules = {
        "start": utc(2025, 1, 6, 15),
        "soon": utc(2025, 1, 6, 14, 30),
        "far": utc(2025, 2, 10, 15),
    }
    found = {
        name: booking_problems(
            calendar,
            start=start,
            end=start + timedelta(minutes=30),
            now=now,
            earliest=now + timedelta(hours=1),
            latest=now + timedelta(days=30),
        )
        for name, start in rules.items()
    }
    assert found["start"] == []
    assert [p.rule for p in found["soon"]] == ["lead_time"]
    assert "earliest start is 2025-01-06 at 10:00 (America/Lima)" in found["soon"][0].message
    assert [p.rule for p in found["far"]] == ["booking_horizon"]


def test_a_booking_running_past_closing_names_the_closing_time() -> None:
    calendar = Calendar(LIMA, hours("Monday 10am-4pm"))
    found = booking_problems(
        calendar,
        start=utc(2025, 1, 6, 20, 30),
        end=utc(2025, 1, 6, 21, 30),
        now=utc(2025, 1, 1),
        earliest=utc(2025, 1, 1),
        latest=utc(2025, 2, 1),
    )
    assert [(p.rule, p.message) for p in found] == [
        ("outside_doctor_hours", "The doctor does not work on Monday at 16:00 (America/Lima)")
    ]


def test_naive_datetimes_are_refused() -> None:
    calendar = Calendar(LIMA, hours("Monday 10am-4pm"))
    with pytest.raises(ValueError, match="aware"):
        open_intervals(calendar, datetime(2025, 1, 6), utc(2025, 1, 7))
    with pytest.raises(ValueError, match="aware"):
        slots_around(calendar, date(2025, 1, 6), 30, busy=[(datetime(2025, 1, 6), utc(2025, 1, 7))])
    with pytest.raises(ValueError, match="aware"):
        problems(calendar, datetime(2025, 1, 6, 15))


# -- daylight saving ------------------------------------------------------------------------


def test_santiago_spring_forward_at_midnight_skips_the_missing_hour() -> None:
    # 2024-09-08 00:00 does not happen in Santiago: clocks jump to 01:00 (-04 to -03)
    calendar = Calendar(SANTIAGO, hours("Saturday 10pm-12am", "Sunday 12am-2am"))
    assert open_intervals(calendar, utc(2024, 9, 7), utc(2024, 9, 9)) == [
        (utc(2024, 9, 8, 2), utc(2024, 9, 8, 5))
    ]
    assert starts(slots_around(calendar, date(2024, 9, 8), 60)) == [
        utc(2024, 9, 8, 2),
        utc(2024, 9, 8, 3),
        utc(2024, 9, 8, 4),  # Sunday 01:00 local, straight after Saturday 23:59
    ]
    sunday_only = Calendar(SANTIAGO, hours("Sunday 12am-2am"))
    assert starts(slots_around(sunday_only, date(2024, 9, 8), 30)) == [
        utc(2024, 9, 8, 4),
        utc(2024, 9, 8, 4, 30),
    ]


def test_santiago_fall_back_at_midnight_offers_the_repeated_hour_twice() -> None:
    # 2024-04-07 00:00 (-03) becomes 2024-04-06 23:00 (-04): Saturday 23:00-24:00 happens twice
    calendar = Calendar(SANTIAGO, hours("Saturday 10pm-12am"))
    found = slots_around(calendar, date(2024, 4, 6), 60)
    assert starts(found) == [utc(2024, 4, 7, 1), utc(2024, 4, 7, 2), utc(2024, 4, 7, 3)]
    local = [s.start.astimezone(SANTIAGO).strftime("%H:%M") for s in found]
    assert local == ["22:00", "23:00", "23:00"]
    until_the_repeat = Calendar(SANTIAGO, hours("Saturday 9pm-11pm"))
    assert starts(slots_around(until_the_repeat, date(2024, 4, 6), 60)) == [
        utc(2024, 4, 7, 0),
        utc(2024, 4, 7, 1),
    ]


def test_new_york_spring_forward() -> None:
    sunday = date(2024, 3, 10)  # 02:00 EST jumps to 03:00 EDT
    across = Calendar(NEW_YORK, hours("Sunday 1am-4am"))
    assert starts(slots_around(across, sunday, 30)) == [
        utc(2024, 3, 10, 6),
        utc(2024, 3, 10, 6, 30),
        utc(2024, 3, 10, 7),
        utc(2024, 3, 10, 7, 30),
    ]
    inside_the_gap = Calendar(NEW_YORK, hours("Sunday 2am-2:30am"))
    assert slots_around(inside_the_gap, sunday, 10) == []
    from_the_gap = Calendar(NEW_YORK, hours("Sunday 2:30am-4am"))
    assert starts(slots_around(from_the_gap, sunday, 30)) == [
        utc(2024, 3, 10, 7),
        utc(2024, 3, 10, 7, 30),
    ]


def test_new_york_fall_back() -> None:
    sunday = date(2024, 11, 3)  # 02:00 EDT falls back to 01:00 EST
    repeated = Calendar(NEW_YORK, hours("Sunday 1am-2am"))
    assert starts(slots_around(repeated, sunday, 60)) == [utc(2024, 11, 3, 5), utc(2024, 11, 3, 6)]
    into_it = Calendar(NEW_YORK, hours("Sunday 12:30am-1:30am"))
    assert starts(slots_around(into_it, sunday, 30)) == [
        utc(2024, 11, 3, 4, 30),
        utc(2024, 11, 3, 5),
        utc(2024, 11, 3, 5, 30),
        utc(2024, 11, 3, 6),
    ]
    assert problems(into_it, utc(2024, 11, 3, 6)) == []
    assert problems(into_it, utc(2024, 11, 3, 6, 30)) == ["outside_doctor_hours"]
    until_the_repeat = Calendar(NEW_YORK, hours("Sunday 12am-1am"))  # no wall time repeats
    assert open_intervals(until_the_repeat, utc(2024, 11, 3), utc(2024, 11, 4)) == [
        (utc(2024, 11, 3, 4), utc(2024, 11, 3, 5))
    ]


# -- holidays, business hours, overrides, busy time -----------------------------------------


def test_nothing_is_open_on_a_public_holiday() -> None:
    calendar = Calendar(
        SANTIAGO, hours("Mon-Fri 9am-5pm"), closed_dates=frozenset({date(2024, 9, 18)})
    )
    found = slots_around(calendar, date(2024, 9, 18), 60)
    assert {s.start.astimezone(SANTIAGO).date() for s in found} == {
        date(2024, 9, 17),
        date(2024, 9, 19),
    }
    assert len(found) == 16
    assert problems(calendar, utc(2024, 9, 18, 13)) == ["public_holiday"]
    assert problems(calendar, utc(2024, 9, 19, 13)) == []


def test_open_hours_follow_every_change_to_the_calendar() -> None:
    # open hours are kept per calendar and days: a changed calendar is worked out afresh
    week = Calendar(SANTIAGO, hours("Mon-Fri 9am-5pm"))
    assert len(slots_around(week, date(2024, 9, 18), 60)) == 24
    closed = replace(week, closed_dates=frozenset({date(2024, 9, 18)}))
    assert len(slots_around(closed, date(2024, 9, 18), 60)) == 16
    shorter = replace(week, overrides=(DateOverride(date(2024, 9, 18), (TimeWindow(540, 600),)),))
    assert len(slots_around(shorter, date(2024, 9, 18), 60)) == 17
    assert len(slots_around(week, date(2024, 9, 18), 60)) == 24


def test_a_closed_date_stays_closed_when_a_fall_back_carries_the_next_day_into_it() -> None:
    # Goose Bay fell back at 00:01 on 2010-11-07: Sunday 00:01-01:00 ADT is followed by
    # Saturday 23:01 AST again, so Sunday's window reaches back into Saturday
    zone = ZoneInfo("America/Goose_Bay")
    sunday = Calendar(zone, hours("Sunday 00:00-01:00"))
    assert open_intervals(sunday, utc(2010, 11, 6), utc(2010, 11, 9)) == [
        (utc(2010, 11, 7, 3), utc(2010, 11, 7, 5))
    ]
    saturday_closed = Calendar(zone, sunday.weekly, closed_dates=frozenset({date(2010, 11, 6)}))
    assert open_intervals(saturday_closed, utc(2010, 11, 6), utc(2010, 11, 9)) == [
        (utc(2010, 11, 7, 4), utc(2010, 11, 7, 5))
    ]
    assert problems(saturday_closed, utc(2010, 11, 7, 3, 30)) == ["public_holiday"]


def test_business_hours_narrow_the_doctors_hours() -> None:
    calendar = Calendar(
        LIMA, hours("Monday 8am-8pm", "Saturday 9am-1pm"), business_hours=hours("Mon-Fri 9am-6pm")
    )
    assert open_intervals(calendar, utc(2025, 1, 6), utc(2025, 1, 13)) == [
        (utc(2025, 1, 6, 14), utc(2025, 1, 6, 23))
    ]
    assert problems(calendar, utc(2025, 1, 7, 0)) == ["outside_business_hours"]  # Monday 19:00
    assert problems(calendar, utc(2025, 1, 7, 15)) == ["outside_doctor_hours"]  # Tuesday 10:00
    assert problems(calendar, utc(2025, 1, 6, 15)) == []


def test_overrides_give_a_day_off_and_extra_hours() -> None:
    calendar = Calendar(
        LIMA,
        hours("Monday 9am-5pm"),
        overrides=(
            DateOverride(date(2025, 1, 6)),
            DateOverride(date(2025, 1, 8), (TimeWindow(600, 720),)),
        ),
    )
    assert open_intervals(calendar, utc(2025, 1, 5), utc(2025, 1, 14)) == [
        (utc(2025, 1, 8, 15), utc(2025, 1, 8, 17)),
        (utc(2025, 1, 13, 14), utc(2025, 1, 13, 22)),
    ]
    assert problems(calendar, utc(2025, 1, 6, 15)) == ["outside_doctor_hours"]
    assert problems(calendar, utc(2025, 1, 8, 15)) == []


def test_busy_time_and_bounds_remove_slots_without_moving_the_grid() -> None:
    calendar = Calendar(LIMA, hours("Monday 9am-12pm"))  # 14:00-17:00 UTC
    found = free_slots(
        calendar,
        slot_minutes=30,
        busy=[(utc(2025, 1, 6, 15, 10), utc(2025, 1, 6, 15, 20))],
        start=utc(2025, 1, 6, 14, 5),
        end=utc(2025, 1, 7),
        earliest=utc(2025, 1, 6),
        latest=utc(2025, 1, 6, 16, 40),
    )
    assert starts(found) == [utc(2025, 1, 6, 14, 30), utc(2025, 1, 6, 15, 30), utc(2025, 1, 6, 16)]


# -- properties over zones, dates and schedules ---------------------------------------------

Busy = list[tuple[datetime, datetime]]


def windows(low: int = 0, high: int = 1440) -> st.SearchStrategy[TimeWindow]:
    return st.integers(low, high - 1).flatmap(
        lambda a: st.integers(a + 1, high).map(lambda b: TimeWindow(a, b))
    )


def weekly_hours(low: int = 0, high: int = 1440) -> st.SearchStrategy[tuple[WeeklyWindow, ...]]:
    one = st.builds(WeeklyWindow, st.integers(0, 6), windows(low, high))
    return st.lists(one, max_size=10).map(tuple)


@st.composite
def calendars(draw: st.DrawFn, low: int = 0, high: int = 1440) -> tuple[Calendar, date]:
    """A calendar and a local date to look at, often one on which the offset changes."""
    name = draw(st.sampled_from(ZONES))
    if CHANGES[name] and draw(st.booleans()):
        day = draw(st.sampled_from(CHANGES[name])) + draw(st.sampled_from([-1, 0, 1])) * DAY
    else:
        day = draw(st.dates(FIRST_DAY, LAST_DAY))
    near = st.integers(-1, 2).map(lambda k: day + k * DAY)
    overrides = draw(
        st.lists(
            st.builds(DateOverride, near, st.lists(windows(low, high), max_size=3).map(tuple)),
            max_size=2,
            unique_by=lambda o: o.on,
        )
    )
    calendar = Calendar(
        zone=ZoneInfo(name),
        weekly=draw(weekly_hours(low, high)),
        overrides=tuple(overrides),
        business_hours=draw(st.none() | weekly_hours(low, high)),
        closed_dates=frozenset(draw(st.lists(near, max_size=2))),
    )
    return calendar, day


@st.composite
def busy_between(draw: st.DrawFn, start: datetime, end: datetime) -> Busy:
    span = int((end - start) / timedelta(minutes=1))
    busy: Busy = []
    for _ in range(draw(st.integers(0, 12))):
        at = start + timedelta(minutes=draw(st.integers(-60, span)))
        busy.append((at, at + timedelta(minutes=draw(st.integers(1, 240)))))
    return busy


SLOT_MINUTES = st.sampled_from([10, 15, 20, 30, 45, 60])


@settings(deadline=None, max_examples=300)
@given(calendars(), SLOT_MINUTES, st.data())
def test_free_slots_are_bookable_exact_disjoint_and_inside_open_hours(
    scenario: tuple[Calendar, date], slot_minutes: int, data: st.DataObject
) -> None:
    calendar, day = scenario
    zone = calendar.zone
    start = datetime.combine(day - DAY, time(), UTC) + timedelta(
        minutes=data.draw(st.integers(0, 1439))
    )
    end = start + timedelta(minutes=data.draw(st.integers(60, 3 * 1440)))
    earliest = start + timedelta(minutes=data.draw(st.integers(-1440, 1440)))
    latest = end + timedelta(minutes=data.draw(st.integers(-1440, 1440)))
    now = earliest - timedelta(minutes=data.draw(st.integers(0, 2880)))
    busy = data.draw(busy_between(start, end))

    found = free_slots(
        calendar,
        slot_minutes=slot_minutes,
        busy=busy,
        start=start,
        end=end,
        earliest=earliest,
        latest=latest,
    )

    for slot, following in pairwise(found):
        assert slot.end <= following.start
    for slot in found:
        assert slot.start.tzinfo is UTC
        assert slot.end - slot.start == timedelta(minutes=slot_minutes)
        assert max(start, earliest) <= slot.start
        assert slot.end <= min(end, latest)
        assert not any(b < slot.end and slot.start < e for b, e in busy)
        problems = booking_problems(
            calendar, start=slot.start, end=slot.end, now=now, earliest=earliest, latest=latest
        )
        assert problems == []
        local = slot.start.astimezone(zone)
        minute = local.hour * 60 + local.minute
        assert local.second == 0
        assert any(
            w.start <= minute < w.end or inside_span(zone, local.date(), w, slot.start)
            for w in local_open(calendar, local.date())
        )


@functools.cache
def window_span(zone: ZoneInfo, day: date, window: TimeWindow) -> tuple[datetime, datetime] | None:
    """The first instant whose wall time on `day` is inside `window`, and the minute after
    the last one: every wall minute of the window, at both folds, that really happens."""
    inside = sorted(
        moment
        for minute in range(window.start, window.end)
        for fold in (0, 1)
        for wall in [datetime.combine(day, time(), zone) + timedelta(minutes=minute)]
        for moment in [wall.replace(fold=fold).astimezone(UTC)]
        if moment.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None)
    )
    return (inside[0], inside[-1] + timedelta(minutes=1)) if inside else None


def inside_span(zone: ZoneInfo, day: date, window: TimeWindow, moment: datetime) -> bool:
    """Whether `moment` lies in the real time a window spans. On a night that falls back,
    a window whose end repeats also covers the wall times it passes on the way, outside
    its own range (the module's rule: first instant inside to just after the last)."""
    span = window_span(zone, day, window)
    return span is not None and span[0] <= moment < span[1]


@settings(deadline=None)
@given(calendars(), st.data())
def test_open_intervals_are_sorted_disjoint_and_inside_the_range(
    scenario: tuple[Calendar, date], data: st.DataObject
) -> None:
    calendar, day = scenario
    start = datetime.combine(day, time(), UTC) - timedelta(minutes=data.draw(st.integers(0, 1440)))
    end = start + timedelta(minutes=data.draw(st.integers(1, 3 * 1440)))
    found = open_intervals(calendar, start, end)
    for a, b in found:
        assert start <= a < b <= end
    for (_, b), (a, _) in pairwise(found):
        assert b < a  # touching intervals are merged


@settings(deadline=None)
@given(calendars(low=1, high=1439), SLOT_MINUTES, st.integers(1, 3))
def test_ordinary_days_offer_every_slot_that_fits(
    scenario: tuple[Calendar, date], slot_minutes: int, days: int
) -> None:
    calendar, day = scenario
    changes = CHANGES[calendar.zone.key]
    assume(not any(day - 2 * DAY <= c <= day + (days + 2) * DAY for c in changes))
    start = datetime.combine(day, time(), calendar.zone).astimezone(UTC)
    end = datetime.combine(day + days * DAY, time(), calendar.zone).astimezone(UTC)

    # windows stay clear of midnight, so no window joins the next day's
    local = [merged_minutes(local_open(calendar, day + k * DAY)) for k in range(days)]
    found = free_slots(
        calendar,
        slot_minutes=slot_minutes,
        busy=[],
        start=start,
        end=end,
        earliest=start - WIDE,
        latest=end + WIDE,
    )
    intervals = open_intervals(calendar, start, end)

    lengths = [w.end - w.start for windows_of_day in local for w in windows_of_day]
    assert [int((b - a) / timedelta(minutes=1)) for a, b in intervals] == lengths
    assert len(found) == sum(length // slot_minutes for length in lengths)


@settings(deadline=None)
@given(calendars(), st.data())
def test_every_wall_time_that_happens_in_an_open_window_is_open(
    scenario: tuple[Calendar, date], data: st.DataObject
) -> None:
    calendar, day = scenario
    zone = calendar.zone
    start, end = (
        datetime.combine(day - 2 * DAY, time(), UTC),
        datetime.combine(day + 3 * DAY, time(), UTC),
    )
    intervals = open_intervals(calendar, start, end)
    for k in range(-1, 2):
        local_day = day + k * DAY
        for window in local_open(calendar, local_day):
            minute = data.draw(st.integers(window.start, window.end - 1))
            wall = datetime.combine(local_day, time(), zone) + timedelta(minutes=minute)
            for fold in (0, 1):
                moment = wall.replace(fold=fold).astimezone(UTC)
                if moment.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
                    continue  # in a spring-forward gap: this wall time never happens
                if moment.astimezone(zone).date() in calendar.closed_dates:
                    continue
                assert any(a <= moment < b for a, b in intervals), (wall, fold)


@st.composite
def windows_across_a_change(draw: st.DrawFn) -> tuple[ZoneInfo, date, TimeWindow]:
    """A zone, a local date and a window with edges near that date's change of offset."""
    name = draw(st.sampled_from(sorted(TRANSITIONS)))
    wall = draw(st.sampled_from([w for pair in TRANSITIONS[name] for w in pair]))
    day = wall.date()
    if wall.time() == time() and draw(st.booleans()):
        day -= DAY  # midnight is also 24:00, the close of the day before
    anchor = int((wall - datetime.combine(day, time())) / timedelta(minutes=1))
    start = draw(st.integers(max(0, anchor - 120), min(1439, anchor + 120)))
    end = draw(st.integers(start + 1, min(1440, max(start + 1, anchor + 120))))
    return ZoneInfo(name), day, TimeWindow(start, end)


@settings(deadline=None, max_examples=150)
@given(windows_across_a_change())
def test_a_window_on_a_change_day_runs_from_the_first_to_the_last_wall_time_in_it(
    scenario: tuple[ZoneInfo, date, TimeWindow],
) -> None:
    # first occurrence of the start, last of the end: the hull of the instants that read
    # inside the window; none at all when the window lies in a spring-forward gap
    zone, day, window = scenario
    calendar = Calendar(zone, (WeeklyWindow(day.weekday(), window),))
    start = datetime.combine(day - DAY, time(), UTC)
    minute = timedelta(minutes=1)
    reading_inside = []
    for k in range(3 * 1440):
        local = (start + k * minute).astimezone(zone)
        if local.date() == day and window.start <= local.hour * 60 + local.minute < window.end:
            reading_inside.append(start + k * minute)
    expected = [(reading_inside[0], reading_inside[-1] + minute)] if reading_inside else []
    assert open_intervals(calendar, start, start + 3 * DAY) == expected
