"""How scheduling values (rules, hours, texts, histories) are kept in JSON columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import orjson

from carehub.countries.rules import BookingMode, NotificationText, SchedulingRules
from carehub.kernel.calendar import DateOverride, TimeWindow, WeeklyWindow


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def loads(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def weekly_json(weekly: Sequence[WeeklyWindow]) -> list[dict[str, int]]:
    return [{"weekday": w.weekday, "start": w.window.start, "end": w.window.end} for w in weekly]


def weekly_from(value: Any) -> tuple[WeeklyWindow, ...]:
    return tuple(
        WeeklyWindow(int(w["weekday"]), TimeWindow(int(w["start"]), int(w["end"])))
        for w in loads(value)
    )


def overrides_json(overrides: Sequence[DateOverride]) -> list[dict[str, Any]]:
    return [
        {"on": o.on.isoformat(), "windows": [[w.start, w.end] for w in o.windows]}
        for o in overrides
    ]


def overrides_from(value: Any) -> tuple[DateOverride, ...]:
    return tuple(
        DateOverride(
            date.fromisoformat(o["on"]),
            tuple(TimeWindow(int(a), int(b)) for a, b in o["windows"]),
        )
        for o in loads(value)
    )


def rules_json(rules: SchedulingRules) -> dict[str, Any]:
    return {
        "slotMinutes": rules.slot_minutes,
        "minLeadMinutes": rules.min_lead_minutes,
        "horizonDays": rules.horizon_days,
        "businessHours": weekly_json(rules.business_hours),
        "cancellationWindowHours": rules.cancellation_window_hours,
        "bookingMode": rules.booking_mode.value,
    }


def rules_from(value: Any) -> SchedulingRules:
    r = loads(value)
    return SchedulingRules(
        slot_minutes=int(r["slotMinutes"]),
        min_lead_minutes=int(r["minLeadMinutes"]),
        horizon_days=int(r["horizonDays"]),
        business_hours=weekly_from(r["businessHours"]),
        cancellation_window_hours=int(r["cancellationWindowHours"]),
        booking_mode=BookingMode(r["bookingMode"]),
    )


def texts_json(texts: Mapping[str, Mapping[str, NotificationText]]) -> dict[str, Any]:
    return {
        locale: {key: {"subject": t.subject, "body": t.body} for key, t in keys.items()}
        for locale, keys in texts.items()
    }


def texts_from(value: Any) -> dict[str, dict[str, NotificationText]]:
    return {
        locale: {key: NotificationText(t["subject"], t["body"]) for key, t in keys.items()}
        for locale, keys in loads(value).items()
    }
