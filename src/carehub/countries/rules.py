"""Country rules as a plug-in point: a profile of data, public holidays, and checks in code.

A country that is only data is a `DataRules` around a `CountryProfile`. A country whose
logic is more than data is one module implementing `CountryRules`. Shipped countries are
registered when `carehub.countries.rulesets` is imported; importing this module registers
nothing.
"""

from __future__ import annotations

import functools
import itertools
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

from carehub.kernel.calendar import (
    MINUTES_PER_DAY,
    RuleViolation,
    TimeWindow,
    WeeklyWindow,
    parse_hhmm,
)
from carehub.kernel.time_range import MAX_DAYS_AHEAD


class BookingMode(StrEnum):
    SYNC = "sync"
    ASYNC = "async"


# One text per appointment status change, plus a reschedule and a waitlist offer.
NOTICE_KEYS = (
    "requested",
    "pending",
    "confirmed",
    "checked_in",
    "completed",
    "cancelled",
    "no_show",
    "rejected",
    "rescheduled",
    "offer",
)
# Ids, a time, a name and an operational reason: never a diagnosis or other health data.
TEMPLATE_FIELDS = frozenset({"appointmentId", "localTime", "doctorName", "reason", "expiresAt"})
LOCALES = ("es", "en")
FALLBACK_LOCALE = "en"


@dataclass(frozen=True)
class NotificationText:
    """A subject and body as `str.format` templates over `TEMPLATE_FIELDS`."""

    subject: str
    body: str


Texts = Mapping[str, Mapping[str, NotificationText]]


@dataclass(frozen=True)
class SchedulingRules:
    """How a country books: slot size, notice, horizon, opening hours and cancellations."""

    slot_minutes: int
    min_lead_minutes: int
    horizon_days: int
    business_hours: tuple[WeeklyWindow, ...]
    cancellation_window_hours: int
    booking_mode: BookingMode

    def __post_init__(self) -> None:
        # Slots dividing the day keep every day's grid aligned at midnight.
        if not (5 <= self.slot_minutes <= 240 and MINUTES_PER_DAY % self.slot_minutes == 0):
            raise ValueError(f"slot_minutes divides a day, 5 to 240: {self.slot_minutes}")
        if self.slot_minutes % 5:
            raise ValueError(f"slot_minutes is a multiple of 5: {self.slot_minutes}")
        if not 0 <= self.min_lead_minutes <= 30 * MINUTES_PER_DAY:
            raise ValueError(f"min_lead_minutes is 0 to 30 days: {self.min_lead_minutes}")
        if not 1 <= self.horizon_days <= MAX_DAYS_AHEAD:
            raise ValueError(f"horizon_days is 1 to {MAX_DAYS_AHEAD}: {self.horizon_days}")
        if not 0 <= self.cancellation_window_hours <= 720:
            hours = self.cancellation_window_hours
            raise ValueError(f"cancellation_window_hours is 0 to 720: {hours}")
        if not self.business_hours:
            raise ValueError("a country is open at some time of the week")
        ordered = sorted(self.business_hours)
        for before, after in itertools.pairwise(ordered):
            if before.weekday == after.weekday and after.window.start < before.window.end:
                raise ValueError(f"business hours overlap on weekday {before.weekday}")
        object.__setattr__(self, "business_hours", tuple(ordered))


@dataclass(frozen=True)
class CountryProfile:
    """A country's defaults: ISO 3166-1 alpha-2 code, IANA zones (the first is the default),
    notification locale, scheduling rules and notification texts."""

    code: str
    name: str
    time_zones: tuple[str, ...]
    locale: str
    rules: SchedulingRules
    texts: Texts = field(hash=False)

    def __post_init__(self) -> None:
        check_code(self.code)
        if not self.name:
            raise ValueError("a country has a name")
        if not self.time_zones or len(set(self.time_zones)) != len(self.time_zones):
            raise ValueError(f"{self.code} has at least one time zone, each once")
        if self.locale not in LOCALES:
            raise ValueError(f"locale is one of {LOCALES}: {self.locale!r}")
        check_texts(self.texts)
        # Frozen all the way down: a profile is shared by every request.
        frozen = {loc: MappingProxyType(dict(by_key)) for loc, by_key in self.texts.items()}
        object.__setattr__(self, "texts", MappingProxyType(frozen))

    def zone(self, name: str | None = None) -> ZoneInfo:
        """The named zone if it is one of this country's, else the default zone."""
        if name is None:
            return ZoneInfo(self.time_zones[0])
        if name not in self.time_zones:
            raise ValueError(f"{name} is not a time zone of {self.code}")
        return ZoneInfo(name)


@dataclass(frozen=True)
class BookingContext:
    """What a plug-in sees when a booking is checked; datetimes are local to `zone`."""

    country_code: str
    zone: ZoneInfo
    local_start: datetime
    local_end: datetime
    local_now: datetime
    specialty: str

    def __post_init__(self) -> None:
        for name in ("local_start", "local_end", "local_now"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None:
                raise ValueError(f"{name} carries its time zone")
            # Callers may pass UTC; rules reason in local wall-clock time.
            object.__setattr__(self, name, value.astimezone(self.zone))
        if self.local_start >= self.local_end:
            raise ValueError("a booking ends after it starts")


class CountryRules(Protocol):
    """One country's plug-in: its profile, its public holidays and its extra checks."""

    code: str

    def profile(self) -> CountryProfile:
        """Defaults for a new country with this code."""
        ...

    def public_holidays(self, year: int) -> Mapping[date, str]:
        """Public holidays in `year`, local dates to English names."""
        ...

    def check_booking(self, booking: BookingContext) -> list[RuleViolation]:
        """Rules beyond the profile's data; [] when none is broken."""
        ...


class DataRules:
    """A country that is only data: a profile, the `holidays` library's calendar for
    `holiday_country` (default the profile's code), and no checks in code."""

    def __init__(self, profile: CountryProfile, *, holiday_country: str | None = None) -> None:
        self.code = profile.code
        self._profile = profile
        self._holiday_country = holiday_country or profile.code

    def profile(self) -> CountryProfile:
        """Defaults for a new country with this code."""
        return self._profile

    def public_holidays(self, year: int) -> Mapping[date, str]:
        """Public holidays in `year` from the `holidays` library."""
        return _library_holidays(self._holiday_country, year)

    def check_booking(self, booking: BookingContext) -> list[RuleViolation]:
        """No rules beyond data."""
        return []


# The name of the rule set a country gets when carehub ships none for its code.
DEFAULT_RULE_SET = "default"


class _GenericRules(DataRules):
    """The default rule set: what a country nobody has set up yet books under."""

    def public_holidays(self, year: int) -> Mapping[date, str]:
        # Unreviewed: whoever adds the country decides which calendar closes its clinics.
        return MappingProxyType({})


@functools.lru_cache(maxsize=256)
def _library_holidays(country: str, year: int) -> Mapping[date, str]:
    # The library builds its calendars slowly and callers ask per booking.
    calendar = holidays.country_holidays(country, years=year, language="en_US")
    return MappingProxyType({day: str(name) for day, name in sorted(calendar.items())})


def check_code(code: str) -> None:
    """ValueError unless `code` is shaped like an ISO 3166-1 alpha-2 code (`PE`)."""
    if not (len(code) == 2 and code.isascii() and code.isalpha() and code.isupper()):
        raise ValueError(f"a country code is two capital letters: {code!r}")


def check_texts(texts: Texts) -> None:
    """ValueError unless every locale has every notice, using only the allowed fields."""
    for locale in LOCALES:
        if locale not in texts:
            raise ValueError(f"texts for locale {locale!r} are missing")
    for locale, by_key in texts.items():
        missing = set(NOTICE_KEYS) - set(by_key)
        unknown = set(by_key) - set(NOTICE_KEYS)
        if missing or unknown:
            raise ValueError(
                f"{locale} texts: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        for key, text in by_key.items():
            for template in (text.subject, text.body):
                fields = template_fields(template)
                if not fields <= TEMPLATE_FIELDS:
                    raise ValueError(f"{locale}/{key} uses {sorted(fields - TEMPLATE_FIELDS)}")


def template_fields(template: str) -> set[str]:
    """The field names a `str.format` template refers to; ValueError on a malformed one."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def render(texts: Texts, locale: str, key: str, **fields: str) -> NotificationText:
    """The `key` notice in `locale` (else its language, else English) with `fields` filled."""
    if key not in NOTICE_KEYS:
        raise KeyError(key)
    language = locale.replace("_", "-").split("-")[0]
    for candidate in (locale, language, FALLBACK_LOCALE):
        if candidate in texts and key in texts[candidate]:
            text = texts[candidate][key]
            return NotificationText(_fill(text.subject, fields), _fill(text.body, fields))
    raise KeyError(key)


def _fill(template: str, fields: Mapping[str, str]) -> str:
    # Plain substitution, no attribute or index lookups: a missing field renders empty
    # and a stray `{x.y}` cannot reach into objects.
    parts = []
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(literal)
        if name is not None:
            parts.append(fields.get(name, ""))
    # An empty optional field (a trailing `{reason}`) should not leave stray spaces.
    return re.sub(" {2,}", " ", "".join(parts)).strip()


def weekly_hours(weekdays: Iterable[int], hours: str) -> tuple[WeeklyWindow, ...]:
    """The same `HH:MM-HH:MM` opening hours on each of `weekdays` (0 is Monday)."""
    opens, sep, closes = hours.partition("-")
    if not sep:
        raise ValueError(f"not a HH:MM-HH:MM range: {hours!r}")
    window = TimeWindow(parse_hhmm(opens), parse_hhmm(closes))
    return tuple(WeeklyWindow(day, window) for day in weekdays)


_REGISTRY: dict[str, CountryRules] = {}


def register(rules: CountryRules) -> None:
    """Make `rules` the rules for its country code; a second, different one is refused."""
    check_code(rules.code)
    if rules.profile().code != rules.code:
        raise ValueError(f"{rules.code} rules carry the profile of {rules.profile().code}")
    current = _REGISTRY.get(rules.code)
    if current is not None and current is not rules:
        raise ValueError(f"rules for {rules.code} are already registered")
    _REGISTRY[rules.code] = rules


def rules_for(code: str) -> CountryRules:
    """The registered rules for `code`, or generic ones for a country not set up yet."""
    check_code(code)
    registered = _REGISTRY.get(code)
    return registered if registered is not None else _GenericRules(generic_profile(code))


def rule_set_name(code: str) -> str:
    """The rule set a country with this code books under: its code, or `default`."""
    check_code(code)
    return code if code in _REGISTRY else DEFAULT_RULE_SET


def known_codes() -> tuple[str, ...]:
    """The codes of the registered countries, sorted."""
    return tuple(sorted(_REGISTRY))


def generic_profile(code: str) -> CountryProfile:
    """UTC, English and conservative defaults for a country nobody has set up yet."""
    return CountryProfile(
        code=code,
        name=code,
        time_zones=("UTC",),
        locale="en",
        rules=SchedulingRules(
            slot_minutes=30,
            min_lead_minutes=120,
            horizon_days=90,
            business_hours=weekly_hours(range(5), "09:00-17:00"),
            cancellation_window_hours=24,
            booking_mode=BookingMode.SYNC,
        ),
        texts=DEFAULT_TEXTS,
    )


_T = NotificationText

DEFAULT_TEXTS: Texts = MappingProxyType(
    {
        "es": MappingProxyType(
            {
                "requested": _T(
                    "Solicitud de cita recibida",
                    "Recibimos su solicitud de cita {appointmentId} con {doctorName} para el "
                    "{localTime}. Le avisaremos cuando esté confirmada.",
                ),
                "pending": _T(
                    "Cita en revisión",
                    "Su cita {appointmentId} para el {localTime} está en revisión. "
                    "Le avisaremos pronto.",
                ),
                "confirmed": _T(
                    "Cita confirmada",
                    "Su cita {appointmentId} con {doctorName} está confirmada para el {localTime}.",
                ),
                "checked_in": _T(
                    "Llegada registrada",
                    "Registramos su llegada a la cita {appointmentId}. "
                    "Gracias, pronto le atenderán.",
                ),
                "completed": _T(
                    "Cita finalizada",
                    "Su cita {appointmentId} con {doctorName} ha finalizado. "
                    "Gracias por su visita.",
                ),
                "cancelled": _T(
                    "Cita cancelada",
                    "Su cita {appointmentId} del {localTime} fue cancelada. {reason}",
                ),
                "no_show": _T(
                    "Cita no atendida",
                    "No registramos su asistencia a la cita {appointmentId} del {localTime}. "
                    "Puede reservar una nueva cita cuando lo desee.",
                ),
                "rejected": _T(
                    "Solicitud de cita no aceptada",
                    "No pudimos aceptar su solicitud de cita {appointmentId} para el "
                    "{localTime}. {reason}",
                ),
                "rescheduled": _T(
                    "Cita reprogramada",
                    "Su cita {appointmentId} con {doctorName} ahora es el {localTime}.",
                ),
                "offer": _T(
                    "Hay un horario disponible",
                    "Se liberó un horario con {doctorName} el {localTime}. "
                    "Puede reservarlo hasta el {expiresAt}.",
                ),
            }
        ),
        "en": MappingProxyType(
            {
                "requested": _T(
                    "Appointment request received",
                    "We received your request {appointmentId} to see {doctorName} on "
                    "{localTime}. We will let you know once it is confirmed.",
                ),
                "pending": _T(
                    "Appointment under review",
                    "Your appointment {appointmentId} on {localTime} is being reviewed. "
                    "We will be in touch soon.",
                ),
                "confirmed": _T(
                    "Appointment confirmed",
                    "Your appointment {appointmentId} with {doctorName} is confirmed for "
                    "{localTime}.",
                ),
                "checked_in": _T(
                    "You are checked in",
                    "You are checked in for appointment {appointmentId}. Thank you, "
                    "we will see you shortly.",
                ),
                "completed": _T(
                    "Appointment completed",
                    "Your appointment {appointmentId} with {doctorName} is complete. "
                    "Thank you for your visit.",
                ),
                "cancelled": _T(
                    "Appointment cancelled",
                    "Your appointment {appointmentId} on {localTime} was cancelled. {reason}",
                ),
                "no_show": _T(
                    "Missed appointment",
                    "We did not see you at appointment {appointmentId} on {localTime}. "
                    "You are welcome to book a new one at any time.",
                ),
                "rejected": _T(
                    "Appointment request not accepted",
                    "We could not accept your request {appointmentId} for {localTime}. {reason}",
                ),
                "rescheduled": _T(
                    "Appointment rescheduled",
                    "Your appointment {appointmentId} with {doctorName} is now on {localTime}.",
                ),
                "offer": _T(
                    "A time is available",
                    "A time with {doctorName} on {localTime} has opened up. "
                    "You can book it until {expiresAt}.",
                ),
            }
        ),
    }
)
