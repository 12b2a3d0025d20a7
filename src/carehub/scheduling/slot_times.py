"""Slot edges as ISO 8601 text, in UTC and in the doctor's zone, written in bulk.

A month of slots is thousands of edges; converting each with `astimezone` and writing it
with `isoformat` took most of an availability request. An offset holds until the zone's
next change, so edges are counted in whole minutes since the epoch, shifted by the offset
in force, and written from tables: the date's text plus the time of day's, offset
included. The text is what the API always sent: orjson's `...Z` for UTC and
`astimezone(zone).isoformat()` for local time. An edge off the whole minute (never made
from whole-minute hours and slots, but possible with odd zone data) sends every slot down
that slow, obvious path.

Offsets are worked out per UTC day and kept: a day whose two ends have the same offset
keeps it all day, otherwise `offset_change` finds the instant it changes. That assumes a
zone changes its offset at most once a day; in the tz database, changes since 1990 are at
least six days apart.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import compress
from zoneinfo import ZoneInfo

from carehub.kernel.calendar import MINUTES_PER_DAY
from carehub.scheduling.slots import Slot, SlotRun, offset_change

SlotText = tuple[str, str, str, str]  # start, end, local start, local end
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """From `start` until `end` (UTC) the zone is `offset` ahead of UTC, written `suffix`."""

    start: datetime
    end: datetime
    offset: timedelta
    suffix: str  # "-05:00", as isoformat() ends a local time


def slot_texts(runs: Sequence[SlotRun], zone: ZoneInfo) -> Iterable[SlotText]:
    """Every slot of `runs` (in time order) in UTC and in local time."""
    if not runs:
        return []
    offsets = spans(zone, runs[0].start, runs[-1].end)
    edges: list[int] = []  # every slot edge, in minutes since the epoch
    paired: list[bool] = []  # edges i and i + 1 are one slot's start and end
    epoch, minute, step_seen, stride = _EPOCH, _MINUTE, None, 0
    for start, size, step in runs:  # hundreds of runs: locals, and each step divided once
        if step != step_seen:
            step_seen, (stride, odd) = step, divmod(step, minute)
            if odd:
                return _one_by_one(runs, zone)
        first, odd = divmod(start - epoch, minute)
        if odd:
            return _one_by_one(runs, zone)
        edges += range(first, first + (size + 1) * stride, stride)
        paired += [True] * size
        paired.append(False)
    if any(span.offset % _MINUTE for span in offsets):
        return _one_by_one(runs, zone)
    # local dates are within a day of UTC ones: offsets are under 24 hours
    dates = _dates(edges[0] // MINUTES_PER_DAY - 1, edges[-1] // MINUTES_PER_DAY + 1)
    utc = _texts(edges, 0, dates, _clock("Z"))
    local: list[str] = []
    done = 0
    for span in offsets:  # the edges before its end (in whole minutes, rounded up) take it
        until = bisect_left(edges, -((_EPOCH - span.end) // _MINUTE), done)
        local += _texts(edges[done:until], span.offset // _MINUTE, dates, _clock(span.suffix))
        done = until
    # an iterator, so the caller's loop takes each slot as it is paired
    return compress(zip(utc, utc[1:], local, local[1:], strict=False), paired)


def spans(zone: ZoneInfo, first: datetime, last: datetime) -> list[Span]:
    """The offsets in force from `first` to `last` (both included), in time order."""
    day, stop = first.astimezone(UTC).date(), last.astimezone(UTC).date()
    merged: list[Span] = []
    while day <= stop:
        for span in _day(zone, day):
            if merged and merged[-1].offset == span.offset:
                before = merged[-1]
                merged[-1] = Span(before.start, span.end, before.offset, before.suffix)
            else:
                merged.append(span)
        day += _DAY
    return merged


def _texts(
    minutes: Sequence[int], shift: int, dates: dict[int, str], clock: Sequence[str]
) -> list[str]:
    """Minutes since the epoch, `shift` minutes on, as text: the date's and the time's."""
    return [
        dates[(m := x + shift) // MINUTES_PER_DAY] + clock[m % MINUTES_PER_DAY] for x in minutes
    ]


def _dates(first: int, last: int) -> dict[int, str]:
    """Days since the epoch, as ISO dates."""
    epoch = _EPOCH.date()
    return {day: (epoch + day * _DAY).isoformat() for day in range(first, last + 1)}


@functools.lru_cache(maxsize=64)
def _clock(suffix: str) -> tuple[str, ...]:
    """Each minute of a day as isoformat() writes its time, `suffix` added."""
    return tuple(f"T{m // 60:02d}:{m % 60:02d}:00{suffix}" for m in range(MINUTES_PER_DAY))


def _one_by_one(runs: Sequence[SlotRun], zone: ZoneInfo) -> list[SlotText]:
    return [_slot_text(slot, zone) for run in runs for slot in run.slots()]


def _slot_text(slot: Slot, zone: ZoneInfo) -> SlotText:
    return (
        slot.start.replace(tzinfo=None).isoformat() + "Z",
        slot.end.replace(tzinfo=None).isoformat() + "Z",
        slot.start.astimezone(zone).isoformat(),
        slot.end.astimezone(zone).isoformat(),
    )


@functools.lru_cache(maxsize=4096)
def _day(zone: ZoneInfo, day: date) -> tuple[Span, ...]:
    """One UTC day's offsets: one span, or two around a change."""
    start = datetime.combine(day, time(), UTC)
    end = start + _DAY
    first, after = _offset(zone, start), _offset(zone, end)
    if first.offset == after.offset:
        return (Span(start, end, first.offset, first.suffix),)
    change = offset_change(zone, start, end)
    if change == end:  # the change is at the next midnight
        return (Span(start, end, first.offset, first.suffix),)
    then = _offset(zone, change)
    return (
        Span(start, change, first.offset, first.suffix),
        Span(change, end, then.offset, then.suffix),
    )


def _offset(zone: ZoneInfo, moment: datetime) -> Span:
    """The offset at `moment`, as a span of no length."""
    local = moment.astimezone(zone)
    offset = local.utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    suffix = local.isoformat()[len(local.replace(tzinfo=None).isoformat()) :]
    return Span(moment, moment, offset, suffix)
