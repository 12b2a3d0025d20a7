"""What the calendars and the country's rules say about a time: the one check that booking,
holds, rescheduling and the country's queue all apply."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from carehub.countries.model import Country
from carehub.countries.rules import BookingContext, rules_for
from carehub.kernel.calendar import RuleViolation
from carehub.kernel.errors import FieldError, Invalid
from carehub.practitioners.model import Doctor
from carehub.scheduling.slots import Calendar, booking_problems


def slot_minutes(country: Country, doctor: Doctor) -> int:
    return doctor.slot_minutes or country.rules.slot_minutes


def calendar_for(country: Country, doctor: Doctor, start: datetime, end: datetime) -> Calendar:
    """The doctor's hours within the country's business hours, holidays closed."""
    zone = ZoneInfo(doctor.time_zone)
    first = (start.astimezone(zone) - timedelta(days=1)).date()
    last = (end.astimezone(zone) + timedelta(days=1)).date()
    days = (last - first).days
    closed = frozenset(
        day for day in (first + timedelta(n) for n in range(days + 1)) if country.is_closed(day)
    )
    return Calendar(
        zone=zone,
        weekly=doctor.weekly,
        overrides=doctor.overrides,
        business_hours=country.rules.business_hours or None,
        closed_dates=closed,
    )


def bounds(country: Country, now: datetime) -> tuple[datetime, datetime]:
    """The earliest start (lead time) and the latest end (horizon) bookable at `now`."""
    rules = country.rules
    return now + timedelta(minutes=rules.min_lead_minutes), now + timedelta(days=rules.horizon_days)


def violations(
    country: Country,
    doctor: Doctor,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    asked_at: datetime | None = None,
) -> list[RuleViolation]:
    """Every rule [start, end) breaks; `asked_at` (when the booking was asked for) sets the
    lead time and horizon, so a queued request is judged as of when it was made."""
    earliest, latest = bounds(country, asked_at or now)
    found = booking_problems(
        calendar_for(country, doctor, start, end),
        start=start,
        end=end,
        now=now,
        earliest=earliest,
        latest=latest,
    )
    zone = ZoneInfo(doctor.time_zone)
    found += rules_for(country.code).check_booking(
        BookingContext(
            country_code=country.code,
            zone=zone,
            local_start=start.astimezone(zone),
            local_end=end.astimezone(zone),
            local_now=(asked_at or now).astimezone(zone),
            specialty=doctor.specialty,
        )
    )
    return found


def check_bookable(
    country: Country,
    doctor: Doctor,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    also: list[RuleViolation] | None = None,
    start_field: str = "start",
) -> None:
    """Invalid (422) naming every rule the time breaks (and the `also` ones found before),
    on the start under `start_field`, its name as the client sent it."""
    found = [*(also or []), *violations(country, doctor, start, end, now=now)]
    if found:
        names = ", ".join(v.rule for v in found)
        raise Invalid(
            f"The appointment breaks these booking rules: {names}",
            errors=[_field_error(v, start_field) for v in found],
        )


def _field_error(violation: RuleViolation, start_field: str) -> FieldError:
    field = "countryId" if violation.rule == "country_mismatch" else start_field
    return FieldError(field, f"{violation.rule}: {violation.message}")
