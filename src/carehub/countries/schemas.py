"""Country request and response bodies, and their mapping to the model."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StrictInt, StringConstraints

from carehub.countries.model import Country
from carehub.countries.rules import BookingMode, NotificationText
from carehub.countries.service import CountrySettings, rules_change
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.weekly_hours import format_weekly, parse_available_times
from carehub.web.schemas import WireModel
from carehub.web.text import MANY_LINES, NAME, ONE_LINE
from carehub.web.times import Day

Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2), ONE_LINE
]
Zone = Annotated[str, StringConstraints(min_length=1, max_length=64), ONE_LINE]
Hours = Annotated[str, StringConstraints(min_length=1, max_length=100), ONE_LINE]
TextKey = Annotated[str, StringConstraints(min_length=1, max_length=64), ONE_LINE]


class NotificationTextWire(WireModel):
    """A notice template; `{appointmentId}`, `{localTime}`, `{doctorName}`, `{reason}` and
    `{expiresAt}` are filled in."""

    subject: Annotated[str, StringConstraints(min_length=1, max_length=200), ONE_LINE]
    body: Annotated[str, StringConstraints(min_length=1, max_length=2000), MANY_LINES]


class RulesWrite(WireModel):
    """Scheduling rules; what you leave out keeps its current (or default) value."""

    slot_minutes: StrictInt | None = Field(None, description="Length of one slot")
    min_lead_minutes: StrictInt | None = Field(None, description="How long ahead a booking must be")
    horizon_days: StrictInt | None = Field(None, description="How far ahead bookings may be made")
    business_hours: list[Hours] | None = Field(
        None, max_length=50, description='Local opening hours, e.g. "Monday-Friday 08:00-20:00"'
    )
    cancellation_window_hours: StrictInt | None = Field(
        None,
        description="Cancellations close this many hours before the start (admins may override)",
    )
    booking_mode: BookingMode | None = Field(
        None, description="sync: confirmed at once (201); async: through the country's queue (202)"
    )


class CountryBase(WireModel):
    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), NAME]
        | None
    ) = None
    time_zones: list[Zone] | None = Field(None, min_length=1, max_length=20)
    locale: Annotated[str, StringConstraints(max_length=8), ONE_LINE] | None = None
    rules: RulesWrite | None = None
    notification_texts: dict[TextKey, dict[TextKey, NotificationTextWire]] | None = None
    closed_dates: list[Day] | None = Field(
        None, max_length=400, description="YYYY-MM-DD dates, within the years 1900 to 2200"
    )

    def to_settings(self) -> CountrySettings:
        rules = None
        if self.rules is not None:
            fields: dict[str, Any] = {
                k: v
                for k, v in self.rules.model_dump(exclude_none=True).items()
                if k != "business_hours"
            }
            if self.rules.business_hours is not None:
                fields["business_hours"] = _hours(self.rules.business_hours)
            rules = rules_change(**fields)
        texts = None
        if self.notification_texts is not None:
            texts = {
                locale: {k: NotificationText(t.subject, t.body) for k, t in keys.items()}
                for locale, keys in self.notification_texts.items()
            }
        return CountrySettings(
            name=self.name,
            time_zones=None if self.time_zones is None else tuple(self.time_zones),
            locale=self.locale,
            rules=rules,
            texts=texts,
            closed_dates=None
            if self.closed_dates is None
            else tuple(sorted(set(self.closed_dates))),
        )


class CountryCreate(CountryBase):
    """Add a country. Seed 001's body (`countryId`, `name`, `code`) is enough: time zones,
    locale, rules and texts come from the code's rule set unless you send them."""

    country_id: Annotated[str, StringConstraints(min_length=1, max_length=32), ONE_LINE] | None = (
        Field(
            None,
            description='Your id for the country (seed 001 sends "002"); the code when absent',
        )
    )
    code: Code = Field(
        description="An assigned ISO 3166-1 alpha-2 code, e.g. CL (lower case is accepted "
        "and stored upper case); several countries may share one"
    )


class CountryUpdate(CountryBase):
    """Change some settings; needs If-Match with the current ETag."""


class RulesRead(WireModel):
    slot_minutes: int
    min_lead_minutes: int
    horizon_days: int
    business_hours: list[str]
    cancellation_window_hours: int
    booking_mode: BookingMode


class CountryRead(WireModel):
    country_id: str
    code: str
    name: str
    time_zones: list[str]
    locale: str
    rule_set: str = Field(
        description='The shipped rule set it books under (its code, e.g. "CL"), or "default" '
        "when carehub ships none for its code"
    )
    rules: RulesRead
    notification_texts: dict[str, dict[str, NotificationTextWire]]
    closed_dates: list[date]
    version: int
    created_at: datetime
    updated_at: datetime


class CountryList(WireModel):
    items: list[CountryRead]


def country_json(country: Country) -> dict[str, Any]:
    rules = country.rules
    return {
        "countryId": country.id,
        "code": country.code,
        "name": country.name,
        "timeZones": list(country.time_zones),
        "locale": country.locale,
        "ruleSet": country.rule_set,
        "rules": {
            "slotMinutes": rules.slot_minutes,
            "minLeadMinutes": rules.min_lead_minutes,
            "horizonDays": rules.horizon_days,
            "businessHours": format_weekly(rules.business_hours),
            "cancellationWindowHours": rules.cancellation_window_hours,
            "bookingMode": rules.booking_mode.value,
        },
        "notificationTexts": {
            locale: {k: {"subject": t.subject, "body": t.body} for k, t in keys.items()}
            for locale, keys in country.all_texts().items()
        },
        "closedDates": [d.isoformat() for d in country.closed_dates],
        "version": country.version,
        "createdAt": country.created_at,
        "updatedAt": country.updated_at,
    }


def _hours(texts: list[str]) -> Any:
    try:
        return parse_available_times(texts)
    except Invalid as exc:
        errors = [
            FieldError(e.field.replace("availableTimes", "rules.businessHours"), e.message)
            for e in exc.errors
        ]
        raise Invalid("The business hours are not valid", errors=errors) from exc
