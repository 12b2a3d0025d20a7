"""United States: seven zones from New York to Honolulu, English first, booked synchronously."""

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
    code="US",
    name="United States",
    time_zones=(
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
    ),
    locale="en",
    rules=SchedulingRules(
        slot_minutes=15,
        min_lead_minutes=120,
        horizon_days=180,
        business_hours=weekly_hours(range(5), "08:00-18:00") + weekly_hours([5], "09:00-13:00"),
        cancellation_window_hours=24,
        booking_mode=BookingMode.SYNC,
    ),
    texts=DEFAULT_TEXTS,
)

RULES = DataRules(PROFILE)
