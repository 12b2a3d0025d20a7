"""Shipped countries: zones, texts, holidays, and Peru's rules computed in code."""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import carehub.countries.rulesets
from carehub.countries.rules import (
    NOTICE_KEYS,
    BookingContext,
    BookingMode,
    CountryRules,
    known_codes,
    render,
    rules_for,
)
from carehub.countries.rulesets import pe

SHIPPED = ("CL", "CO", "MX", "PE", "US")
ALLOWED_FIELDS = {"appointmentId", "localTime", "doctorName", "reason", "expiresAt"}
LIMA = ZoneInfo("America/Lima")


def test_every_shipped_country_is_registered() -> None:
    assert set(SHIPPED) <= set(known_codes())
    assert {r.code for r in carehub.countries.rulesets.SHIPPED} == set(SHIPPED)
    for code in SHIPPED:
        assert rules_for(code).profile().code == code


@pytest.mark.parametrize(
    ("code", "zones", "locale", "mode"),
    [
        ("PE", ("America/Lima",), "es", BookingMode.ASYNC),
        (
            "CL",
            ("America/Santiago", "America/Punta_Arenas", "Pacific/Easter"),
            "es",
            BookingMode.ASYNC,
        ),
        ("CO", ("America/Bogota",), "es", BookingMode.SYNC),
        (
            "MX",
            (
                "America/Mexico_City",
                "America/Cancun",
                "America/Merida",
                "America/Monterrey",
                "America/Chihuahua",
                "America/Hermosillo",
                "America/Mazatlan",
                "America/Tijuana",
            ),
            "es",
            BookingMode.SYNC,
        ),
        (
            "US",
            (
                "America/New_York",
                "America/Chicago",
                "America/Denver",
                "America/Phoenix",
                "America/Los_Angeles",
                "America/Anchorage",
                "Pacific/Honolulu",
            ),
            "en",
            BookingMode.SYNC,
        ),
    ],
)
def test_profiles_have_their_zones_locale_and_mode(
    code: str, zones: tuple[str, ...], locale: str, mode: BookingMode
) -> None:
    made = rules_for(code).profile()
    assert made.time_zones == zones
    assert made.locale == locale
    assert made.rules.booking_mode is mode
    assert made.zone() == ZoneInfo(zones[0])


@pytest.mark.parametrize("code", SHIPPED)
def test_every_zone_loads(code: str) -> None:
    for name in rules_for(code).profile().time_zones:
        assert ZoneInfo(name).utcoffset(datetime(2026, 1, 1)) is not None


@pytest.mark.parametrize("code", SHIPPED)
def test_rules_are_in_the_sensible_ranges(code: str) -> None:
    made = rules_for(code).profile().rules
    assert made.slot_minutes in (15, 20, 30)
    assert 60 <= made.min_lead_minutes <= 120
    assert 90 <= made.horizon_days <= 180
    assert 12 <= made.cancellation_window_hours <= 24
    open_days = {w.weekday for w in made.business_hours}
    assert open_days == {0, 1, 2, 3, 4, 5}  # Monday to Saturday, closed on Sunday


@pytest.mark.parametrize("code", SHIPPED)
@pytest.mark.parametrize("locale", ["es", "en"])
def test_every_notice_exists_and_uses_only_allowed_fields(code: str, locale: str) -> None:
    texts = rules_for(code).profile().texts
    assert set(texts[locale]) == set(NOTICE_KEYS)
    for key, text in texts[locale].items():
        assert text.subject.strip(), key
        assert text.body.strip(), key
        for template in (text.subject, text.body):
            names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
            assert names <= ALLOWED_FIELDS, (code, locale, key, names)


@pytest.mark.parametrize("code", SHIPPED)
def test_notices_name_the_appointment(code: str) -> None:
    texts = rules_for(code).profile().texts
    for locale in ("es", "en"):
        for key in NOTICE_KEYS:
            if key == "offer":
                continue  # a waitlist offer is for a time, not yet an appointment
            body = render(texts, locale, key, appointmentId="apt-42").body
            assert "apt-42" in body, (code, locale, key)


def test_spanish_confirmation_reads_as_expected() -> None:
    text = render(
        rules_for("PE").profile().texts,
        "es",
        "confirmed",
        appointmentId="apt-7",
        doctorName="Dr. Quispe",
        localTime="28/07/2026 09:00",
    )
    assert text.subject == "Cita confirmada"
    assert text.body == "Su cita apt-7 con Dr. Quispe está confirmada para el 28/07/2026 09:00."


@pytest.mark.parametrize(
    ("code", "day"),
    [
        ("PE", date(2026, 7, 28)),
        ("PE", date(2026, 12, 8)),
        ("US", date(2026, 7, 4)),
        ("US", date(2026, 11, 26)),
        ("CL", date(2026, 9, 18)),
        ("CO", date(2026, 7, 20)),
        ("MX", date(2026, 9, 16)),
    ],
)
def test_public_holidays_are_known(code: str, day: date) -> None:
    assert day in rules_for(code).public_holidays(day.year)


@pytest.mark.parametrize("code", SHIPPED)
def test_an_ordinary_day_is_not_a_holiday(code: str) -> None:
    assert date(2026, 3, 10) not in rules_for(code).public_holidays(2026)


# --- Peru's rules in code ------------------------------------------------------------


def lima(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LIMA)


def peru_booking(start: datetime, *, minutes: int = 30, now: datetime) -> BookingContext:
    return BookingContext(
        country_code="PE",
        zone=LIMA,
        local_start=start,
        local_end=start + timedelta(minutes=minutes),
        local_now=now,
        specialty="general",
    )


def violated(rules: CountryRules, booking: BookingContext) -> list[str]:
    return [v.rule for v in rules.check_booking(booking)]


EVE = date(2026, 7, 27)  # Monday before Independence Day (Tuesday 28 July 2026)
WEEK_BEFORE = date(2026, 7, 20)


def test_peru_is_registered_with_its_own_rules() -> None:
    assert rules_for("PE") is pe.RULES
    assert isinstance(rules_for("PE"), pe.PeruRules)


@pytest.mark.parametrize(
    ("start", "minutes"),
    [(lima(EVE, 8), 30), (lima(EVE, 12, 30), 30), (lima(EVE, 12), 60)],
)
def test_peru_accepts_a_holiday_eve_booking_that_ends_by_13(start: datetime, minutes: int) -> None:
    booking = peru_booking(start, minutes=minutes, now=lima(WEEK_BEFORE, 10))
    assert violated(pe.RULES, booking) == []


@pytest.mark.parametrize(
    ("start", "minutes"),
    [(lima(EVE, 12, 45), 30), (lima(EVE, 13), 30), (lima(EVE, 17), 30), (lima(EVE, 12), 90)],
)
def test_peru_refuses_a_holiday_eve_booking_that_ends_after_13(
    start: datetime, minutes: int
) -> None:
    booking = peru_booking(start, minutes=minutes, now=lima(WEEK_BEFORE, 10))
    violations = pe.RULES.check_booking(booking)
    assert [v.rule for v in violations] == ["holiday_eve"]
    assert "eve of a public holiday" in violations[0].message


def test_peru_afternoons_are_open_on_an_ordinary_day() -> None:
    ordinary = date(2026, 7, 24)  # Friday; Saturday 25 July is not a holiday
    booking = peru_booking(lima(ordinary, 17), now=lima(WEEK_BEFORE, 10))
    assert violated(pe.RULES, booking) == []


def test_peru_holiday_eve_crosses_the_year() -> None:
    new_years_eve = date(2026, 12, 31)  # eve of 1 January 2027
    booking = peru_booking(lima(new_years_eve, 16), now=lima(date(2026, 12, 1), 10))
    assert violated(pe.RULES, booking) == ["holiday_eve"]


def test_peru_holiday_eve_is_judged_on_lima_time() -> None:
    # 17:30 UTC is 12:30 in Lima: the booking ends at 13:00 local and is accepted.
    utc = ZoneInfo("UTC")
    start = datetime(2026, 7, 27, 17, 30, tzinfo=utc)
    booking = BookingContext(
        "PE", LIMA, start, start + timedelta(minutes=30), lima(WEEK_BEFORE, 10), "general"
    )
    assert violated(pe.RULES, booking) == []


@pytest.mark.parametrize(("hour", "minute"), [(9, 30), (11, 0), (11, 59)])
def test_peru_refuses_a_same_day_booking_under_three_hours_ahead(hour: int, minute: int) -> None:
    day = date(2026, 7, 24)
    violations = pe.RULES.check_booking(peru_booking(lima(day, hour, minute), now=lima(day, 9)))
    assert [v.rule for v in violations] == ["same_day_notice"]
    assert "3 hours" in violations[0].message


@pytest.mark.parametrize(("hour", "minute"), [(12, 0), (12, 30), (18, 0)])
def test_peru_accepts_a_same_day_booking_three_hours_ahead(hour: int, minute: int) -> None:
    day = date(2026, 7, 24)
    assert violated(pe.RULES, peru_booking(lima(day, hour, minute), now=lima(day, 9))) == []


def test_peru_same_day_notice_does_not_apply_to_tomorrow() -> None:
    booking = peru_booking(lima(date(2026, 7, 24), 8), now=lima(date(2026, 7, 23), 23))
    assert violated(pe.RULES, booking) == []


def test_peru_reports_every_rule_a_booking_breaks() -> None:
    booking = peru_booking(lima(EVE, 13), now=lima(EVE, 11))
    assert violated(pe.RULES, booking) == ["holiday_eve", "same_day_notice"]


@pytest.mark.parametrize("code", ["CL", "CO", "MX", "US"])
def test_countries_that_are_only_data_check_nothing_in_code(code: str) -> None:
    country = rules_for(code)
    zone = country.profile().zone()
    eve = date(2026, 7, 27)
    start = datetime(eve.year, eve.month, eve.day, 17, tzinfo=zone)
    booking = BookingContext(
        code, zone, start, start + timedelta(minutes=30), start - timedelta(minutes=5), "general"
    )
    assert country.check_booking(booking) == []
