"""A doctor's weekly hours as people write them ("Monday 10am-4pm") and as carehub keeps them.

Times are local wall-clock times in the doctor's zone; `carehub.scheduling.slots`
turns them into UTC.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from carehub.kernel.calendar import (
    MINUTES_PER_DAY,
    WEEKDAYS,
    DateOverride,
    TimeWindow,
    WeeklyWindow,
    parse_hhmm,
)
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.text import fold

EXAMPLE = "write a day or day range and its hours, like 'Monday 10am-4pm' or 'Mon-Fri 09:00-17:00'"

_DAY_NAMES: dict[str, int] = {
    **{name: i for i, name in enumerate(WEEKDAYS)},
    **{name[:3]: i for i, name in enumerate(WEEKDAYS)},
    "tues": 1,
    "thur": 3,
    "thurs": 3,
    # Spanish, folded (miércoles -> miercoles), with their usual abbreviations
    **{name: i for i, name in enumerate(("lunes", "martes", "miercoles", "jueves", "viernes"))},
    "sabado": 5,
    "domingo": 6,
    **{name: i for i, name in enumerate(("lun", "mar", "mie", "jue", "vie", "sab", "dom"))},
}
_ENTRY = re.compile(
    r"(?P<first>[^\W\d_]+)\.?(?:\s?-\s?(?P<last>[^\W\d_]+)\.?)?\s?:?\s?(?P<hours>.*)"
)
_TIME = r"\d{1,2}(?::\d{2})?\s?(?:[ap]\.?m\.?)?"
_RANGE = re.compile(rf"(?P<start>{_TIME})\s?-\s?(?P<end>{_TIME})")
_CLOCK = re.compile(r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s?(?:(?P<half>[ap])\.?m\.?)?")
_DASHES = str.maketrans({"–": "-", "—": "-", "‒": "-", "−": "-"})


class _Unreadable(ValueError):
    """One entry cannot be read; the message says why."""


def parse_available_times(texts: Sequence[str]) -> tuple[WeeklyWindow, ...]:
    """Weekly windows from entries like "Monday 10am-4pm", sorted, touching ones merged."""
    if isinstance(texts, str):  # a lone string is a Sequence[str] of letters, never meant
        raise Invalid(
            "Available times are a list",
            errors=[FieldError("availableTimes", f"Expected a list of entries; {EXAMPLE}")],
        )
    windows: list[WeeklyWindow] = []
    errors: list[FieldError] = []
    for i, text in enumerate(texts):
        try:
            windows.extend(_parse_entry(text))
        except _Unreadable as exc:
            errors.append(FieldError(f"availableTimes[{i}]", f"{exc}; {EXAMPLE}"))
    if errors:
        raise Invalid("Some available times cannot be read", errors=errors)
    return merge_weekly(windows)


def merge_weekly(windows: Sequence[WeeklyWindow]) -> tuple[WeeklyWindow, ...]:
    """The same hours, sorted, with overlapping or touching windows of a weekday merged."""
    merged: list[WeeklyWindow] = []
    for w in sorted(windows):
        last = merged[-1] if merged else None
        if last and last.weekday == w.weekday and w.window.start <= last.window.end:
            end = max(last.window.end, w.window.end)
            merged[-1] = WeeklyWindow(w.weekday, TimeWindow(last.window.start, end))
        else:
            merged.append(w)
    return tuple(merged)


def format_weekly(weekly: Sequence[WeeklyWindow]) -> list[str]:
    """One "Monday 10:00-16:00" per window, in the order given."""
    return [f"{WEEKDAYS[w.weekday].capitalize()} {w.window.label()}" for w in weekly]


def check_weekly(weekly: Sequence[WeeklyWindow]) -> None:
    """Invalid when two windows on the same weekday overlap (touching is fine)."""
    errors: list[FieldError] = []
    for i, w in enumerate(weekly):
        for other in weekly[:i]:
            if other.weekday == w.weekday and _overlap(other.window, w.window):
                day = WEEKDAYS[w.weekday].capitalize()
                errors.append(
                    FieldError(
                        f"weekly[{i}]",
                        f"{day} {w.window.label()} overlaps {day} {other.window.label()}",
                    )
                )
                break
    if errors:
        raise Invalid("Weekly hours overlap", errors=errors)


def check_overrides(overrides: Sequence[DateOverride]) -> None:
    """Invalid when a date appears twice or one date's windows overlap."""
    errors: list[FieldError] = []
    seen: set[object] = set()
    for i, override in enumerate(overrides):
        field = f"overrides[{i}]"
        if override.on in seen:
            errors.append(FieldError(field, f"{override.on} already has an override"))
            continue
        seen.add(override.on)
        windows = sorted(override.windows)
        for before, after in pairwise(windows):
            if _overlap(before, after):
                errors.append(
                    FieldError(
                        field, f"On {override.on}, {after.label()} overlaps {before.label()}"
                    )
                )
                break
    if errors:
        raise Invalid("Date overrides conflict", errors=errors)


def _overlap(a: TimeWindow, b: TimeWindow) -> bool:
    return a.start < b.end and b.start < a.end


def _parse_entry(text: object) -> list[WeeklyWindow]:
    if not isinstance(text, str):
        raise _Unreadable("Expected text")
    shown = text.strip()[:60]
    entry = _ENTRY.fullmatch(fold(text).translate(_DASHES))
    if not entry:
        raise _Unreadable(f"Cannot read '{shown}': it does not start with a day")
    days = _days(entry["first"], entry["last"], shown)
    if not entry["hours"]:
        raise _Unreadable(f"Cannot read '{shown}': no hours after the day")
    windows: list[TimeWindow] = []
    for part in entry["hours"].split(","):
        hours = _RANGE.fullmatch(part.strip())
        if not hours:
            raise _Unreadable(f"Cannot read '{shown}': '{part.strip()}' is not a range of hours")
        start = _minutes(hours["start"], shown, closing=False)
        end = _minutes(hours["end"], shown, closing=True)
        if start >= end:
            raise _Unreadable(
                f"Cannot read '{shown}': '{part.strip()}' ends before it starts "
                "(hours stay within one day; split a night shift at midnight)"
            )
        windows.append(TimeWindow(start, end))
    return [WeeklyWindow(day, window) for day in days for window in windows]


def _days(first: str, last: str | None, shown: str) -> list[int]:
    unknown = [name for name in (first, last) if name is not None and name not in _DAY_NAMES]
    if unknown:
        raise _Unreadable(f"Cannot read '{shown}': '{unknown[0]}' is not a day of the week")
    start = _DAY_NAMES[first]
    stop = _DAY_NAMES[last] if last is not None else start
    # a range may run over the weekend: "Friday-Monday" is four days
    return [(start + k) % 7 for k in range((stop - start) % 7 + 1)]


def _minutes(text: str, shown: str, *, closing: bool) -> int:
    clock = _CLOCK.fullmatch(text)
    assert clock is not None  # _RANGE only matches what _CLOCK reads
    hour, minute, half = int(clock["hour"]), clock["minute"], clock["half"]
    if half is None:
        if minute is None:
            raise _Unreadable(
                f"Cannot read '{shown}': say am/pm or use 24-hour HH:MM, not '{text}'"
            )
        try:
            value = parse_hhmm(f"{hour}:{minute}")
        except ValueError:
            raise _Unreadable(f"Cannot read '{shown}': '{text}' is not a time of day") from None
    else:
        if not 1 <= hour <= 12 or int(minute or 0) >= 60:
            raise _Unreadable(f"Cannot read '{shown}': '{text}' is not a time of day")
        value = (hour % 12 + (12 if half == "p" else 0)) * 60 + int(minute or 0)
    if value == MINUTES_PER_DAY and not closing:
        raise _Unreadable(f"Cannot read '{shown}': hours cannot start at 24:00")
    # midnight at the close of a range is the end of the day, not its start
    return MINUTES_PER_DAY if closing and value == 0 else value
