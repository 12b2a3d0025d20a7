"""Country rules: profile validation, notification rendering, holidays and the registry."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from carehub.countries import rules
from carehub.countries.rules import (
    DEFAULT_TEXTS,
    NOTICE_KEYS,
    BookingContext,
    BookingMode,
    CountryProfile,
    DataRules,
    NotificationText,
    SchedulingRules,
    known_codes,
    register,
    render,
    rules_for,
    weekly_hours,
)
from carehub.kernel.calendar import RuleViolation, TimeWindow, WeeklyWindow

LIMA = ZoneInfo("America/Lima")


def scheduling(**changes: Any) -> SchedulingRules:
    values: dict[str, Any] = {
        "slot_minutes": 30,
        "min_lead_minutes": 60,
        "horizon_days": 90,
        "business_hours": weekly_hours(range(5), "08:00-20:00"),
        "cancellation_window_hours": 24,
        "booking_mode": BookingMode.SYNC,
    }
    return SchedulingRules(**(values | changes))


def profile(**changes: Any) -> CountryProfile:
    values: dict[str, Any] = {
        "code": "AR",
        "name": "Argentina",
        "time_zones": ("America/Argentina/Buenos_Aires",),
        "locale": "es",
        "rules": scheduling(),
        "texts": DEFAULT_TEXTS,
    }
    return CountryProfile(**(values | changes))


def texts_with(locale: str, key: str, text: NotificationText) -> dict[str, Any]:
    changed = {loc: dict(by_key) for loc, by_key in DEFAULT_TEXTS.items()}
    changed[locale][key] = text
    return changed


@pytest.fixture
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_REGISTRY", {})


# --- SchedulingRules ---------------------------------------------------------------


def test_scheduling_rules_accept_sensible_values_and_sort_hours() -> None:
    saturday = weekly_hours([5], "08:00-13:00")
    made = scheduling(business_hours=saturday + weekly_hours([0], "08:00-20:00"))
    assert made.business_hours == (
        WeeklyWindow(0, TimeWindow(480, 1200)),
        WeeklyWindow(5, TimeWindow(480, 780)),
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"slot_minutes": 0},
        {"slot_minutes": -30},
        {"slot_minutes": 7},  # not a multiple of 5
        {"slot_minutes": 25},  # does not divide a day
        {"slot_minutes": 245},
        {"slot_minutes": 480},
        {"min_lead_minutes": -1},
        {"min_lead_minutes": 30 * 1440 + 1},
        {"horizon_days": 0},
        {"horizon_days": 731},
        {"cancellation_window_hours": -1},
        {"cancellation_window_hours": 721},
        {"business_hours": ()},
        {"business_hours": weekly_hours([1], "08:00-12:00") + weekly_hours([1], "11:00-14:00")},
    ],
)
def test_scheduling_rules_refuse_values_out_of_range(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        scheduling(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"slot_minutes": 5},
        {"slot_minutes": 240},
        {"min_lead_minutes": 0},
        {"min_lead_minutes": 30 * 1440},
        {"horizon_days": 1},
        {"horizon_days": 730},
        {"cancellation_window_hours": 0},
        {"cancellation_window_hours": 720},
        {"business_hours": weekly_hours([1], "08:00-12:00") + weekly_hours([1], "12:00-14:00")},
    ],
)
def test_scheduling_rules_accept_the_edges(changes: dict[str, Any]) -> None:
    scheduling(**changes)


def test_weekly_hours_refuses_a_malformed_range() -> None:
    with pytest.raises(ValueError):
        weekly_hours([0], "08:00")
    with pytest.raises(ValueError):
        weekly_hours([0], "20:00-08:00")


# --- CountryProfile ------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"code": "ar"},
        {"code": "ARG"},
        {"code": "A1"},
        {"code": ""},
        {"name": ""},
        {"time_zones": ()},
        {"time_zones": ("UTC", "UTC")},
        {"locale": "fr"},
        {"texts": {"es": DEFAULT_TEXTS["es"]}},
        {"texts": {"en": DEFAULT_TEXTS["en"]}},
        {"texts": {"es": DEFAULT_TEXTS["es"], "en": {**DEFAULT_TEXTS["en"], "extra": None}}},
        {
            "texts": {
                "es": DEFAULT_TEXTS["es"],
                "en": {"confirmed": DEFAULT_TEXTS["en"]["confirmed"]},
            }
        },
    ],
)
def test_profile_refuses_bad_values(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        profile(**changes)


@pytest.mark.parametrize(
    "template",
    [
        "Diagnosis: {diagnosis}",
        "{appointmentId.__class__}",
        "{appointmentId[0]}",
        "{0}",
        "{}",
        "unclosed {localTime",
    ],
)
def test_profile_refuses_templates_with_fields_outside_the_allowed_ones(template: str) -> None:
    with pytest.raises(ValueError):
        profile(texts=texts_with("es", "confirmed", NotificationText("Cita", template)))
    with pytest.raises(ValueError):
        profile(texts=texts_with("en", "offer", NotificationText(template, "Body")))


def test_profile_texts_cannot_be_changed_after_creation() -> None:
    source = texts_with("en", "confirmed", NotificationText("Booked", "See you {localTime}."))
    made = profile(texts=source)
    source["en"]["confirmed"] = NotificationText("Changed", "Changed")
    assert made.texts["en"]["confirmed"].subject == "Booked"
    with pytest.raises(TypeError):
        made.texts["en"]["confirmed"] = NotificationText("x", "y")  # type: ignore[index]


def test_profile_zone_is_the_default_or_one_of_its_own() -> None:
    made = profile(time_zones=("America/Argentina/Buenos_Aires", "America/Argentina/Ushuaia"))
    assert made.zone() == ZoneInfo("America/Argentina/Buenos_Aires")
    assert made.zone("America/Argentina/Ushuaia") == ZoneInfo("America/Argentina/Ushuaia")
    with pytest.raises(ValueError):
        made.zone("America/Lima")


# --- render --------------------------------------------------------------------------


def test_render_fills_fields_in_the_asked_locale() -> None:
    text = render(
        DEFAULT_TEXTS,
        "es",
        "confirmed",
        appointmentId="apt-1",
        doctorName="Dra. Rojas",
        localTime="lunes 27 de julio, 09:00",
    )
    assert text == NotificationText(
        "Cita confirmada",
        "Su cita apt-1 con Dra. Rojas está confirmada para el lunes 27 de julio, 09:00.",
    )


@pytest.mark.parametrize("locale", ["fr", "pt-BR", "", "de_DE"])
def test_render_falls_back_to_english(locale: str) -> None:
    text = render(DEFAULT_TEXTS, locale, "confirmed", appointmentId="apt-1")
    assert text.subject == "Appointment confirmed"
    assert "apt-1" in text.body


@pytest.mark.parametrize("locale", ["es-PE", "es_MX", "es"])
def test_render_uses_the_language_of_a_regional_locale(locale: str) -> None:
    assert render(DEFAULT_TEXTS, locale, "cancelled").subject == "Cita cancelada"


def test_render_falls_back_to_english_when_a_locale_lacks_the_key() -> None:
    texts = {"en": DEFAULT_TEXTS["en"], "pt": {"confirmed": NotificationText("Confirmada", "")}}
    assert render(texts, "pt", "confirmed").subject == "Confirmada"
    assert render(texts, "pt", "offer").subject == DEFAULT_TEXTS["en"]["offer"].subject


def test_render_leaves_missing_fields_empty_and_ignores_extra_ones() -> None:
    text = render(DEFAULT_TEXTS, "en", "cancelled", appointmentId="apt-9", unused="x")
    assert text.body == "Your appointment apt-9 on was cancelled."
    assert "{" not in text.body


def test_render_does_not_evaluate_field_expressions() -> None:
    texts = {"en": {"confirmed": NotificationText("{localTime}", "{localTime.upper}")}}
    text = render(texts, "en", "confirmed", localTime="9:00")
    assert text == NotificationText("9:00", "")


def test_render_refuses_an_unknown_key() -> None:
    with pytest.raises(KeyError):
        render(DEFAULT_TEXTS, "en", "diagnosed")


# --- BookingContext ------------------------------------------------------------------


def test_booking_context_sees_every_time_in_the_country_zone() -> None:
    utc = ZoneInfo("UTC")
    booking = BookingContext(
        country_code="PE",
        zone=LIMA,
        local_start=datetime(2026, 7, 27, 14, 0, tzinfo=utc),
        local_end=datetime(2026, 7, 27, 14, 30, tzinfo=utc),
        local_now=datetime(2026, 7, 27, 4, 0, tzinfo=utc),
        specialty="general",
    )
    assert booking.local_start == datetime(2026, 7, 27, 9, 0, tzinfo=LIMA)
    assert booking.local_start.tzinfo is LIMA
    assert booking.local_now.date() == date(2026, 7, 26)


def test_booking_context_refuses_naive_or_backwards_times() -> None:
    start = datetime(2026, 7, 27, 9, 0, tzinfo=LIMA)
    with pytest.raises(ValueError):
        BookingContext(
            "PE", LIMA, start.replace(tzinfo=None), start + timedelta(minutes=30), start, "x"
        )
    with pytest.raises(ValueError):
        BookingContext("PE", LIMA, start, start, start, "x")


# --- DataRules and holidays ----------------------------------------------------------


def test_data_rules_take_holidays_from_the_library_and_check_nothing() -> None:
    argentina = DataRules(profile())
    assert argentina.code == "AR"
    assert argentina.public_holidays(2026)[date(2026, 7, 9)] == "Independence Day"
    booking = BookingContext(
        "AR",
        ZoneInfo("America/Argentina/Buenos_Aires"),
        datetime(2026, 7, 8, 19, 0, tzinfo=LIMA),
        datetime(2026, 7, 8, 19, 30, tzinfo=LIMA),
        datetime(2026, 7, 8, 18, 0, tzinfo=LIMA),
        "general",
    )
    assert argentina.check_booking(booking) == []


def test_data_rules_may_borrow_another_calendar() -> None:
    puerto_rico = DataRules(profile(code="PR"), holiday_country="US")
    assert date(2026, 7, 4) in puerto_rico.public_holidays(2026)


def test_holidays_are_cached_per_country_and_year() -> None:
    rules._library_holidays.cache_clear()
    first = DataRules(profile()).public_holidays(2026)
    again = DataRules(profile()).public_holidays(2026)
    assert first is again
    assert rules._library_holidays.cache_info().hits == 1
    assert DataRules(profile()).public_holidays(2027) is not first


# --- registry ------------------------------------------------------------------------


class ClosedOnMondays(DataRules):
    def check_booking(self, booking: BookingContext) -> list[RuleViolation]:
        if booking.local_start.weekday() == 0:
            return [RuleViolation("monday", "Clinics are closed on Mondays.")]
        return []


@pytest.mark.usefixtures("empty_registry")
def test_registered_rules_are_found_by_code() -> None:
    argentina = ClosedOnMondays(profile())
    register(argentina)
    register(argentina)  # registering the same rules again is harmless
    assert rules_for("AR") is argentina
    assert known_codes() == ("AR",)


@pytest.mark.usefixtures("empty_registry")
def test_a_second_registration_for_a_code_is_refused() -> None:
    register(DataRules(profile()))
    with pytest.raises(ValueError):
        register(DataRules(profile()))


@pytest.mark.usefixtures("empty_registry")
def test_rules_whose_profile_has_another_code_are_refused() -> None:
    mismatched = DataRules(profile())
    mismatched.code = "UY"
    with pytest.raises(ValueError):
        register(mismatched)


@pytest.mark.usefixtures("empty_registry")
def test_an_unknown_code_gets_generic_rules() -> None:
    generic = rules_for("AR")
    made = generic.profile()
    assert generic.code == made.code == "AR"
    assert made.time_zones == ("UTC",)
    assert made.zone() == ZoneInfo("UTC")
    assert made.locale == "en"
    assert made.rules.booking_mode is BookingMode.SYNC
    # The library knows Argentina, but nobody has reviewed it for carehub yet.
    assert dict(generic.public_holidays(2026)) == {}
    assert known_codes() == ()


@pytest.mark.parametrize("code", ["ARG", "ar", "", "1A", "Ñ1"])
def test_an_invalid_code_is_refused(code: str) -> None:
    with pytest.raises(ValueError):
        rules_for(code)


def test_importing_rules_registers_nothing() -> None:
    script = "from carehub.countries import rules; print(rules.known_codes())"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "()"


def test_default_texts_cover_every_notice_in_both_locales() -> None:
    assert isinstance(DEFAULT_TEXTS, MappingProxyType)
    for locale in ("es", "en"):
        assert set(DEFAULT_TEXTS[locale]) == set(NOTICE_KEYS)
