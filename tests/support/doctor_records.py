"""A doctor with every field set, for tests that map or show one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from carehub.kernel.calendar import DateOverride, TimeWindow
from carehub.kernel.weekly_hours import parse_available_times
from carehub.practitioners.model import Doctor

NOW = datetime(2031, 3, 10, 12, 0, tzinfo=UTC)


def a_doctor(**fields: Any) -> Doctor:
    base: dict[str, Any] = {
        "id": "dr-ana",
        "country_id": "PE",
        "name": "Dra. Ana María Pérez",
        "specialty": "Cardiología",
        "time_zone": "America/Lima",
        "weekly": parse_available_times(
            ["Mon-Fri 08:00-13:00", "Mon-Fri 14:00-18:00", "Saturday 9am-1pm"]
        ),
        "overrides": (
            DateOverride(date(2031, 3, 20), (TimeWindow(600, 720),)),
            DateOverride(date(2031, 3, 18)),
        ),
        "license": "CMP 012345",
        "email": "ana.perez@clinic.example",
        "phone": "+51 1 555 0100",
        "version": 3,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Doctor(**(base | fields))
