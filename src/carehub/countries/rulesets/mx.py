"""Mexico: eight zones from Cancún to Tijuana, booked synchronously."""

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
    code="MX",
    name="Mexico",
    time_zones=(
        "America/Mexico_City",
        "America/Cancun",
        "America/Merida",
        "America/Monterrey",
        "America/Chihuahua",
        "America/Hermosillo",
        "America/Mazatlan",
        "America/Tijuana",
    ),
    locale="es",
    rules=SchedulingRules(
        slot_minutes=30,
        min_lead_minutes=60,
        horizon_days=90,
        business_hours=weekly_hours(range(5), "09:00-19:00") + weekly_hours([5], "09:00-14:00"),
        cancellation_window_hours=24,
        booking_mode=BookingMode.SYNC,
    ),
    texts=DEFAULT_TEXTS,
)

RULES = DataRules(PROFILE)
