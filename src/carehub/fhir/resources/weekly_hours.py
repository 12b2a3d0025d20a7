"""Weekly opening hours as FHIR writes them (PractitionerRole.availableTime,
Location.hoursOfOperation): days of the week sharing one window, and its times."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from carehub.kernel.calendar import MINUTES_PER_DAY, TimeWindow, WeeklyWindow

# FHIR's daysOfWeek codes, Monday first as `date.weekday()` counts.
DAYS_OF_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A FHIR time stops at 23:59:59; a window closing at midnight ends there.
_LAST_SECOND = "23:59:59"


def weekly_times(
    weekly: Iterable[WeeklyWindow], *, opening: str, closing: str
) -> list[dict[str, Any]]:
    """One entry per distinct window, naming every weekday open during it, in week order;
    `opening` and `closing` are the element's names for its times."""
    days: dict[TimeWindow, list[int]] = {}
    for w in sorted(weekly, key=lambda w: (w.window, w.weekday)):
        days.setdefault(w.window, []).append(w.weekday)
    entries: list[dict[str, Any]] = []
    for window, weekdays in sorted(days.items(), key=lambda item: (item[1][0], item[0])):
        entry: dict[str, Any] = {"daysOfWeek": [DAYS_OF_WEEK[d] for d in weekdays]}
        if window == TimeWindow(0, MINUTES_PER_DAY):
            entry["allDay"] = True
        else:
            entry[opening] = _time(window.start)
            entry[closing] = _LAST_SECOND if window.end == MINUTES_PER_DAY else _time(window.end)
        entries.append(entry)
    return entries


def _time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"
