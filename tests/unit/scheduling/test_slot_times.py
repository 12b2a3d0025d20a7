"""Slot edges written in bulk are exactly what converting each one would write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from carehub.scheduling.slot_times import SlotText, slot_texts, spans
from carehub.scheduling.slots import SlotRun
from carehub.web.wire import WIRE_JSON

# Offsets in quarter and half hours, two-hour and negative summer time, month-long breaks
# (Ramadan in Casablanca), changes at midnight, and every other zone now and then.
TRICKY = [
    "America/New_York",
    "America/Santiago",
    "America/St_Johns",
    "Europe/London",
    "Europe/Dublin",
    "Africa/Casablanca",
    "Antarctica/Troll",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "America/Havana",
    "UTC",
]
ZONES = st.one_of(st.sampled_from(TRICKY), st.sampled_from(sorted(available_timezones())))
STEPS = st.sampled_from([5, 10, 15, 20, 30, 45, 60, 90, 120, 240])
NEW_YORK = ZoneInfo("America/New_York")


def expected(runs: list[SlotRun], zone: ZoneInfo) -> list[SlotText]:
    """What the API sent before: orjson's UTC times and each edge's `astimezone`."""

    def wire(moment: datetime) -> str:
        text: str = orjson.loads(orjson.dumps(moment, option=WIRE_JSON))
        return text

    return [
        (
            wire(slot.start),
            wire(slot.end),
            slot.start.astimezone(zone).isoformat(),
            slot.end.astimezone(zone).isoformat(),
        )
        for run in runs
        for slot in run.slots()
    ]


@st.composite
def runs_from(draw: st.DrawFn, first: datetime) -> list[SlotRun]:
    """Runs in time order from `first`, on one slot length, some back to back."""
    step = timedelta(minutes=draw(STEPS))
    runs, at = [], first
    for _ in range(draw(st.integers(1, 8))):
        at += timedelta(minutes=draw(st.integers(0, 3000)))
        run = SlotRun(at, draw(st.integers(1, 120)), step)
        runs.append(run)
        at = run.end
    return runs


# Months in which zones change their offsets, most years.
CHANGE_MONTHS = st.sampled_from([3, 4, 9, 10, 11])


@settings(deadline=None, max_examples=400)
@given(ZONES, st.data())
def test_each_edge_is_written_as_converting_it_would(zone_name: str, data: st.DataObject) -> None:
    first = datetime(
        data.draw(st.integers(2024, 2031)),
        data.draw(st.one_of(CHANGE_MONTHS, st.integers(1, 12))),
        data.draw(st.integers(1, 28)),
        data.draw(st.integers(0, 23)),
        data.draw(st.integers(0, 59)),
        tzinfo=UTC,
    )
    runs = data.draw(runs_from(first))
    zone = ZoneInfo(zone_name)
    assert list(slot_texts(runs, zone)) == expected(runs, zone)


def test_a_slot_across_a_change_ends_in_the_new_offset() -> None:
    # New York springs forward at 07:00 UTC on 8 March 2026 and falls back at 06:00 UTC
    # on 1 November.
    step = timedelta(minutes=15)
    spring = SlotRun(datetime(2026, 3, 8, 6, 45, tzinfo=UTC), 2, step)
    fall = SlotRun(datetime(2026, 11, 1, 5, 45, tzinfo=UTC), 2, step)
    assert list(slot_texts([spring, fall], NEW_YORK)) == [
        (
            "2026-03-08T06:45:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-08T01:45:00-05:00",
            "2026-03-08T03:00:00-04:00",
        ),
        (
            "2026-03-08T07:00:00Z",
            "2026-03-08T07:15:00Z",
            "2026-03-08T03:00:00-04:00",
            "2026-03-08T03:15:00-04:00",
        ),
        (
            "2026-11-01T05:45:00Z",
            "2026-11-01T06:00:00Z",
            "2026-11-01T01:45:00-04:00",
            "2026-11-01T01:00:00-05:00",
        ),
        (
            "2026-11-01T06:00:00Z",
            "2026-11-01T06:15:00Z",
            "2026-11-01T01:00:00-05:00",
            "2026-11-01T01:15:00-05:00",
        ),
    ]


def test_the_offsets_in_force_change_at_the_instant_the_zone_changes() -> None:
    found = spans(NEW_YORK, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    assert [(s.start, s.offset, s.suffix) for s in found] == [
        (datetime(2026, 3, 1, tzinfo=UTC), timedelta(hours=-5), "-05:00"),
        (datetime(2026, 3, 8, 7, tzinfo=UTC), timedelta(hours=-4), "-04:00"),
    ]
    assert found[0].end == found[1].start
    assert found[1].end == datetime(2026, 4, 2, tzinfo=UTC)


def test_edges_off_the_minute_are_written_one_by_one() -> None:
    step = timedelta(minutes=30)
    odd_start = [SlotRun(datetime(2026, 5, 4, 9, 0, 30, tzinfo=UTC), 3, step)]
    odd_step = [SlotRun(datetime(2026, 5, 4, 9, tzinfo=UTC), 3, timedelta(seconds=1830))]
    for runs in (odd_start, odd_step):
        assert list(slot_texts(runs, NEW_YORK)) == expected(runs, NEW_YORK)


def test_an_offset_off_the_minute_is_written_in_full() -> None:
    # Liberia kept -00:44:30 until 1972.
    monrovia = ZoneInfo("Africa/Monrovia")
    runs = [SlotRun(datetime(1971, 6, 1, 9, tzinfo=UTC), 4, timedelta(minutes=15))]
    found = list(slot_texts(runs, monrovia))
    assert found == expected(runs, monrovia)
    assert found[0][2] == "1971-06-01T08:15:30-00:44:30"


def test_no_runs_no_slots() -> None:
    assert list(slot_texts([], NEW_YORK)) == []
