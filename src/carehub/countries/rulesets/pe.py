"""Peru: one zone, bookings go through a queue, and two rules computed in code.

- `holiday_eve`: on the day before a public holiday clinics close at 13:00 local time, so
  a booking that ends after 13:00 on that day is refused.
- `same_day_notice`: a booking for the same local day it is made must start at least three
  hours ahead, so the clinic can confirm it and the doctor can plan the day; bookings for a
  later day only need the profile's lead time.

Public holidays themselves are closed by the caller from `public_holidays`, not here.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from carehub.countries.rules import (
    DEFAULT_TEXTS,
    BookingContext,
    BookingMode,
    CountryProfile,
    DataRules,
    SchedulingRules,
    weekly_hours,
)
from carehub.kernel.calendar import RuleViolation

HOLIDAY_EVE_CLOSING = time(13, 0)
SAME_DAY_NOTICE = timedelta(hours=3)

PROFILE = CountryProfile(
    code="PE",
    name="Peru",
    time_zones=("America/Lima",),
    locale="es",
    rules=SchedulingRules(
        slot_minutes=30,
        min_lead_minutes=60,
        horizon_days=90,
        business_hours=weekly_hours(range(5), "08:00-20:00") + weekly_hours([5], "08:00-13:00"),
        cancellation_window_hours=24,
        booking_mode=BookingMode.ASYNC,
    ),
    texts=DEFAULT_TEXTS,
)


class PeruRules(DataRules):
    """Peru's profile and holidays, plus the holiday-eve and same-day-notice rules."""

    def check_booking(self, booking: BookingContext) -> list[RuleViolation]:
        """Refuse bookings past 13:00 on a holiday eve and same-day ones under 3 h ahead."""
        violations = []
        day = booking.local_start.date()
        tomorrow = day + timedelta(days=1)
        # Dec 31 is the eve of a holiday in the next year's calendar.
        if tomorrow in self.public_holidays(tomorrow.year):
            closing = datetime.combine(day, HOLIDAY_EVE_CLOSING, tzinfo=booking.zone)
            if booking.local_end > closing:
                violations.append(
                    RuleViolation(
                        "holiday_eve",
                        "Clinics close at 13:00 on the eve of a public holiday; "
                        "choose a time that ends by then.",
                    )
                )
        if day == booking.local_now.date() and booking.local_start - booking.local_now < (
            SAME_DAY_NOTICE
        ):
            violations.append(
                RuleViolation(
                    "same_day_notice",
                    "A booking for today must start at least 3 hours from now.",
                )
            )
        return violations


RULES = PeruRules(PROFILE)
