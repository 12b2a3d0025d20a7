"""Chile: three zones (mainland, Magallanes, Easter Island); bookings go through a queue."""

from __future__ import annotations

from carehub.countries.rules import (
    DEFAULT_TEXTS,
    BookingMode,
    CountryProfile,
    DataRules,
    SchedulingRules,
    weekly_hours,
)

PROFILE = CountryProfile(
    code="CL",
    name="Chile",
    time_zones=("America/Santiago", "America/Punta_Arenas", "Pacific/Easter"),
    locale="es",
    rules=SchedulingRules(
        slot_minutes=30,
        min_lead_minutes=120,
        horizon_days=180,
        business_hours=weekly_hours(range(5), "08:00-20:00") + weekly_hours([5], "09:00-14:00"),
        cancellation_window_hours=24,
        booking_mode=BookingMode.ASYNC,
    ),
    texts=DEFAULT_TEXTS,
)

RULES = DataRules(PROFILE)
