"""Colombia: one zone, 20-minute consultations, booked synchronously."""

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
    code="CO",
    name="Colombia",
    time_zones=("America/Bogota",),
    locale="es",
    rules=SchedulingRules(
        # General consultations in Colombia are commonly scheduled in 20-minute slots.
        slot_minutes=20,
        min_lead_minutes=60,
        horizon_days=120,
        business_hours=weekly_hours(range(5), "07:00-19:00") + weekly_hours([5], "08:00-12:00"),
        cancellation_window_hours=12,
        booking_mode=BookingMode.SYNC,
    ),
    texts=DEFAULT_TEXTS,
)

RULES = DataRules(PROFILE)
