"""Weekly hours as doctors write them: parsing, merging, formatting and overlap checks."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carehub.kernel.calendar import DateOverride, TimeWindow, WeeklyWindow
from carehub.kernel.errors import Invalid
from carehub.kernel.weekly_hours import (
    check_overrides,
    check_weekly,
    format_weekly,
    parse_available_times,
)


def weekly(*entries: tuple[int, int, int]) -> tuple[WeeklyWindow, ...]:
    return tuple(WeeklyWindow(day, TimeWindow(start, end)) for day, start, end in entries)


def test_seed_doctor_hours() -> None:
    parsed = parse_available_times(["Monday 10am-4pm", "Wednesday 1pm-5pm"])
    assert parsed == weekly((0, 600, 960), (2, 780, 1020))
    assert format_weekly(parsed) == ["Monday 10:00-16:00", "Wednesday 13:00-17:00"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("monday 10AM-4PM", weekly((0, 600, 960))),
        ("MON 10am-4pm", weekly((0, 600, 960))),
        ("Tue 9am-5pm", weekly((1, 540, 1020))),
        ("thu 9am-5pm", weekly((3, 540, 1020))),
        ("Sun 9am-5pm", weekly((6, 540, 1020))),
        ("lunes 10am-4pm", weekly((0, 600, 960))),
        ("martes 10am-4pm", weekly((1, 600, 960))),
        ("miércoles 10am-4pm", weekly((2, 600, 960))),
        ("Miercoles 10am-4pm", weekly((2, 600, 960))),
        ("jueves 10am-4pm", weekly((3, 600, 960))),
        ("viernes 10am-4pm", weekly((4, 600, 960))),
        ("sábado 10am-4pm", weekly((5, 600, 960))),
        ("SABADO 10am-4pm", weekly((5, 600, 960))),
        ("domingo 10am-4pm", weekly((6, 600, 960))),
        ("Monday 10:30am-4:45pm", weekly((0, 630, 1005))),
        ("Monday 10 am - 4 pm", weekly((0, 600, 960))),
        ("Monday 12am-12pm", weekly((0, 0, 720))),
        ("Monday 12pm-12am", weekly((0, 720, 1440))),
        ("Monday 09:00-17:00", weekly((0, 540, 1020))),
        ("Monday 9:00-13:00", weekly((0, 540, 780))),
        ("Monday 13:00-00:00", weekly((0, 780, 1440))),
        ("Monday 20:00-24:00", weekly((0, 1200, 1440))),
        ("Monday 10am–4pm", weekly((0, 600, 960))),
        ("Monday–Wednesday 10am-4pm", weekly((0, 600, 960), (1, 600, 960), (2, 600, 960))),
        ("Saturday-Monday 8am-9am", weekly((0, 480, 540), (5, 480, 540), (6, 480, 540))),
        ("Friday 9am-12pm, 2pm-6pm", weekly((4, 540, 720), (4, 840, 1080))),
        ("lunes-viernes 09:00-13:00", weekly(*((d, 540, 780) for d in range(5)))),
        ("  Monday   10am-4pm  ", weekly((0, 600, 960))),
    ],
)
def test_accepted_variants(text: str, expected: tuple[WeeklyWindow, ...]) -> None:
    assert parse_available_times([text]) == expected


def test_day_range_covers_every_weekday_in_it() -> None:
    parsed = parse_available_times(["Monday-Friday 9am-5pm"])
    assert [w.weekday for w in parsed] == [0, 1, 2, 3, 4]
    assert {w.window for w in parsed} == {TimeWindow(540, 1020)}


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Funday 9am-5pm", "'funday' is not a day of the week"),
        ("Monday", "no hours after the day"),
        ("9am-5pm", "does not start with a day"),
        ("Monday 9-5", "say am/pm or use 24-hour HH:MM"),
        ("Monday 13pm-2pm", "'13pm' is not a time of day"),
        ("Monday 9:75am-2pm", "'9:75am' is not a time of day"),
        ("Monday 09:00-25:00", "'25:00' is not a time of day"),
        ("Monday 24:00-24:00", "cannot start at 24:00"),
        ("Monday 5pm-9am", "ends before it starts"),
        ("Monday 10am-10am", "ends before it starts"),
        ("Monday 10am-4pm,", "is not a range of hours"),
        ("Monday 10am to 4pm", "is not a range of hours"),
    ],
)
def test_unreadable_entry_is_named_with_an_example(text: str, names: str) -> None:
    with pytest.raises(Invalid) as raised:
        parse_available_times(["Tuesday 9am-5pm", text])
    [error] = raised.value.errors
    assert error.field == "availableTimes[1]"
    assert names in error.message
    assert f"'{text.strip()}'" in error.message
    assert "like 'Monday 10am-4pm'" in error.message


def test_every_bad_entry_is_reported_at_once() -> None:
    with pytest.raises(Invalid) as raised:
        parse_available_times(["Funday 9am-5pm", "Monday 10am-4pm", "Tuesday noon-1pm"])
    assert [e.field for e in raised.value.errors] == ["availableTimes[0]", "availableTimes[2]"]


def test_a_lone_string_is_not_a_list_of_entries() -> None:
    with pytest.raises(Invalid) as raised:
        parse_available_times("Monday 10am-4pm")
    assert raised.value.errors[0].field == "availableTimes"


def test_overlapping_and_touching_windows_merge_and_sort() -> None:
    parsed = parse_available_times(
        ["Wednesday 1pm-5pm", "Monday 2pm-6pm", "Monday 9am-12pm", "Monday 12pm-3pm", "Mon 8pm-9pm"]
    )
    assert parsed == weekly((0, 540, 1080), (0, 1200, 1260), (2, 780, 1020))


def test_windows_on_different_days_do_not_merge() -> None:
    parsed = parse_available_times(["Monday 8pm-12am", "Tuesday 12am-2am"])
    assert parsed == weekly((0, 1200, 1440), (1, 0, 120))


@st.composite
def canonical_weekly(draw: st.DrawFn) -> tuple[WeeklyWindow, ...]:
    """Sorted windows with a gap between any two on the same day."""
    result: list[WeeklyWindow] = []
    for day in range(7):
        edges = sorted(draw(st.sets(st.integers(0, 1440), max_size=6)))
        edges = edges[: len(edges) // 2 * 2]
        # distinct edges, so one window ends strictly before the next starts
        result.extend(
            WeeklyWindow(day, TimeWindow(a, b))
            for a, b in zip(edges[::2], edges[1::2], strict=True)
        )
    return tuple(result)


@given(canonical_weekly())
def test_format_then_parse_round_trips(hours: tuple[WeeklyWindow, ...]) -> None:
    assert parse_available_times(format_weekly(hours)) == hours


windows = st.builds(
    lambda day, a, length: WeeklyWindow(day, TimeWindow(a, min(1440, a + length))),
    st.integers(0, 6),
    st.integers(0, 1439),
    st.integers(1, 600),
)


@given(st.lists(windows, max_size=12))
def test_parsing_formatted_hours_merges_them_into_a_fixed_point(
    hours: list[WeeklyWindow],
) -> None:
    once = parse_available_times(format_weekly(hours))
    assert parse_available_times(format_weekly(once)) == once
    check_weekly(once)  # merged hours never overlap
    assert list(once) == sorted(once)
    for h in hours:
        assert any(w.weekday == h.weekday and w.window.contains(h.window) for w in once)


def test_check_weekly_names_each_overlapping_window() -> None:
    hours = weekly((0, 540, 720), (1, 540, 720), (0, 700, 800), (0, 800, 900), (0, 100, 600))
    with pytest.raises(Invalid) as raised:
        check_weekly(hours)
    assert [e.field for e in raised.value.errors] == ["weekly[2]", "weekly[4]"]
    assert "Monday 11:40-13:20 overlaps Monday 09:00-12:00" in raised.value.errors[0].message


def test_check_weekly_allows_touching_windows() -> None:
    check_weekly(weekly((0, 540, 720), (0, 720, 900), (1, 0, 1440)))


def test_check_overrides_refuses_duplicate_dates_and_overlaps() -> None:
    overrides = [
        DateOverride(date(2025, 1, 6), (TimeWindow(540, 720), TimeWindow(720, 800))),
        DateOverride(date(2025, 1, 7)),
        DateOverride(date(2025, 1, 6)),
        DateOverride(date(2025, 1, 8), (TimeWindow(600, 700), TimeWindow(540, 660))),
    ]
    with pytest.raises(Invalid) as raised:
        check_overrides(overrides)
    assert [e.field for e in raised.value.errors] == ["overrides[2]", "overrides[3]"]
    assert "2025-01-06 already has an override" in raised.value.errors[0].message
    assert "10:00-11:40 overlaps 09:00-11:00" in raised.value.errors[1].message


def test_check_overrides_accepts_a_day_off_and_touching_windows() -> None:
    check_overrides(
        [DateOverride(date(2025, 1, 6)), DateOverride(date(2025, 1, 7), (TimeWindow(0, 60),))]
    )
