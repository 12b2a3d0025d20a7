"""The country aggregate: a code, its time zones and locale, and the rules it books under.

What a country's code brings (defaults, public holidays, logic beyond data) comes from its
rule set in `carehub.countries.rulesets`; a country record stores what an operator chose.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# The shipped rule sets register themselves (constants only), so every country code that
# has one finds it wherever countries are used.
from carehub.countries import rulesets  # noqa: F401
from carehub.countries.codes import is_assigned_code
from carehub.countries.rules import (
    NOTICE_KEYS,
    CountryProfile,
    NotificationText,
    SchedulingRules,
    rule_set_name,
    rules_for,
)
from carehub.kernel.errors import FieldError, Invalid

COUNTRY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
LOCALES = ("es", "en")

Texts = Mapping[str, Mapping[str, NotificationText]]


@dataclass(frozen=True, kw_only=True)
class Country:
    """A country carehub schedules in. `id` is the caller's (seed 001 sends "002"), `code`
    its ISO 3166-1 alpha-2 code; appointments may name a country by either."""

    id: str
    code: str
    name: str
    time_zones: tuple[str, ...]
    locale: str
    rules: SchedulingRules
    # Texts an operator changed; the rule set's texts serve every other key.
    texts: Texts = field(default_factory=dict)
    closed_dates: tuple[date, ...] = ()
    version: int = 1
    created_at: datetime
    updated_at: datetime

    @property
    def rule_set(self) -> str:
        """The rule set it books under: the one shipped for its code, else `default`."""
        return rule_set_name(self.code)

    @property
    def default_zone(self) -> str:
        return self.time_zones[0]

    def all_texts(self) -> dict[str, dict[str, NotificationText]]:
        """The rule set's texts with this country's changes laid over them."""
        merged = {loc: dict(keys) for loc, keys in rules_for(self.code).profile().texts.items()}
        for locale, keys in self.texts.items():
            merged.setdefault(locale, {}).update(keys)
        return merged

    def is_closed(self, day: date) -> bool:
        """A public holiday of its rule set, or a date the operator closed."""
        return day in self.closed_dates or day in rules_for(self.code).public_holidays(day.year)


def profile_for(code: str) -> CountryProfile:
    """The defaults a new country with this code starts from."""
    return rules_for(code).profile()


def check_country(country: Country) -> None:
    """Apply a country's rules; every failing field is reported at once."""
    errors: list[FieldError] = []
    if not COUNTRY_ID.fullmatch(country.id):
        errors.append(FieldError("countryId", "1-32 letters, digits, '_' or '-'"))
    check_code_field(country.code, errors)
    if not country.name.strip() or len(country.name) > 128:
        errors.append(FieldError("name", "1-128 characters"))
    if not country.time_zones:
        errors.append(FieldError("timeZones", "at least one IANA time zone"))
    for index, zone in enumerate(country.time_zones):
        if not is_zone(zone):
            errors.append(FieldError(f"timeZones[{index}]", f"{zone!r} is not an IANA time zone"))
    if country.locale not in LOCALES:
        errors.append(FieldError("locale", f"one of {', '.join(LOCALES)}"))
    for locale, keys in country.texts.items():
        if locale not in LOCALES:
            errors.append(FieldError(f"notificationTexts.{locale}", "unknown locale"))
        for key in keys:
            if key not in NOTICE_KEYS:
                errors.append(FieldError(f"notificationTexts.{locale}.{key}", "unknown notice"))
    if errors:
        raise Invalid("The country is not valid", errors=errors)


def check_assigned_code(code: str) -> None:
    """Refuse a code that is not an assigned ISO 3166-1 alpha-2 code, naming `code`."""
    errors: list[FieldError] = []
    check_code_field(code, errors)
    if errors:
        raise Invalid("The country code is not valid", errors=errors)


def check_code_field(code: str, errors: list[FieldError]) -> None:
    """Add an error naming `code` unless it is an assigned ISO 3166-1 alpha-2 code."""
    if not is_assigned_code(code):
        errors.append(FieldError("code", "an assigned ISO 3166-1 alpha-2 code, e.g. CL"))


def is_zone(name: str) -> bool:
    """Whether `name` is an IANA zone this machine's tz database knows."""
    if name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())
