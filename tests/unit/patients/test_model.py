"""The patient aggregate's rules: names, ages, validation, versions and events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carehub.kernel.errors import Invalid
from carehub.patients.events import PatientRegistered, PatientUpdated
from carehub.patients.model import (
    MAX_AGE,
    Address,
    CodedEntry,
    HumanName,
    Identifier,
    Patient,
    PatientDetails,
    birth_date_for_age,
    check_age,
    check_country_id,
    check_details,
    check_patient_id,
)

TODAY = date(2024, 6, 15)
NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)


def details(**overrides: object) -> PatientDetails:
    fields: dict[str, object] = {"name": HumanName.from_text("Ana Torres")}
    fields.update(overrides)
    return PatientDetails(**fields)  # type: ignore[arg-type]


def patient(born: date | None = None) -> Patient:
    return Patient(
        id="p1",
        mrn="00000018",
        country_id="PE",
        details=details(birth_date=born),
        created_at=NOW,
        updated_at=NOW,
    )


def field_errors(error: pytest.ExceptionInfo[Invalid]) -> list[str]:
    return [e.field for e in error.value.errors]


# --- names ---------------------------------------------------------------------------------


def test_the_last_word_of_a_single_line_name_is_the_family_name() -> None:
    name = HumanName.from_text("  Jorge   Luis  Moros ")
    assert name == HumanName(text="Jorge Luis Moros", given=("Jorge", "Luis"), family="Moros")


def test_a_one_word_name_is_a_family_name_only() -> None:
    assert HumanName.from_text("Cher") == HumanName(text="Cher", given=(), family="Cher")


def test_a_name_from_parts_reads_given_names_then_family() -> None:
    name = HumanName.from_parts(("José", "Luis"), "Quispe Mamani")
    assert name.text == "José Luis Quispe Mamani"
    assert HumanName.from_parts(("Madonna",), None).text == "Madonna"


def test_name_search_tokens_are_folded_words_of_every_part() -> None:
    name = HumanName.from_parts(("María-José",), "Núñez O'Brien")
    assert name.search_tokens() == {"maria", "jose", "nunez", "o", "brien"}


# --- addresses and coded entries -----------------------------------------------------------


def test_an_address_given_as_one_line_displays_as_that_line() -> None:
    address = Address(text="123 Main St, Anytown", city="Elsewhere")
    assert address.display() == "123 Main St, Anytown"


def test_a_structured_address_displays_its_parts_in_postal_order() -> None:
    address = Address(lines=("Av. Arequipa 1234", "Dpto 5"), city="Lima", postal_code="15046")
    assert address.display() == "Av. Arequipa 1234, Dpto 5, Lima, 15046"


def test_a_condition_is_searchable_by_its_folded_code_and_display() -> None:
    entry = CodedEntry(code="E11", system="http://hl7.org/fhir/sid/icd-10", display="Diabète")
    assert entry.search_terms() == {"e11", "diabete"}
    assert CodedEntry(display="Asthma").search_terms() == {"asthma"}


# --- ages and birth dates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "age"),
    [
        (date(1980, 6, 15), 44),  # birthday today
        (date(1980, 6, 16), 43),  # birthday tomorrow
        (date(1980, 6, 14), 44),
        (date(2024, 6, 15), 0),
    ],
)
def test_age_counts_completed_years(born: date, age: int) -> None:
    assert patient(born).age(TODAY) == age


def test_age_is_unknown_without_a_birth_date() -> None:
    assert patient(None).age(TODAY) is None


def test_an_age_becomes_a_birth_date_half_a_year_past_the_birthday() -> None:
    assert birth_date_for_age(85, TODAY) == date(1938, 12, 15)


def test_an_age_given_on_29_february_yields_a_real_date() -> None:
    born = birth_date_for_age(1, date(2024, 2, 29))
    assert patient(born).age(date(2024, 2, 29)) == 1


@given(
    age=st.integers(min_value=0, max_value=MAX_AGE),
    today=st.dates(min_value=date(2001, 1, 1), max_value=date(2100, 12, 31)),
)
def test_the_estimated_birth_date_reproduces_the_given_age(age: int, today: date) -> None:
    assert patient(birth_date_for_age(age, today)).age(today) == age


@given(
    age=st.integers(min_value=0, max_value=MAX_AGE),
    today=st.dates(min_value=date(2001, 1, 1), max_value=date(2100, 12, 31)),
)
def test_every_allowed_age_gives_an_allowed_birth_date(age: int, today: date) -> None:
    check_age(age)
    check_details(details(birth_date=birth_date_for_age(age, today)), today)


@pytest.mark.parametrize("age", [0, 150])
def test_ages_from_zero_to_150_are_accepted(age: int) -> None:
    check_age(age)


@pytest.mark.parametrize("age", [-1, 151])
def test_impossible_ages_are_refused(age: int) -> None:
    with pytest.raises(Invalid) as caught:
        check_age(age)
    assert field_errors(caught) == ["age"]


# --- ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize("patient_id", ["0315", "a", "A.b_c-9", "x" * 64])
def test_short_url_safe_patient_ids_are_accepted(patient_id: str) -> None:
    check_patient_id(patient_id)


@pytest.mark.parametrize("patient_id", ["", "-abc", ".x", "a/b", "a b", "ñ", "x" * 65])
def test_other_patient_ids_are_refused(patient_id: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_patient_id(patient_id)
    assert field_errors(caught) == ["patientId"]


@pytest.mark.parametrize("country_id", ["PE", "001", "us-east", "x" * 32])
def test_short_country_codes_are_accepted(country_id: str) -> None:
    check_country_id(country_id)


@pytest.mark.parametrize("country_id", ["", "P E", "_PE", "x" * 33])
def test_other_country_ids_are_refused(country_id: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_country_id(country_id)
    assert field_errors(caught) == ["countryId"]


@pytest.mark.parametrize(
    "check", [check_patient_id, check_country_id], ids=["patientId", "countryId"]
)
def test_ids_with_a_trailing_newline_are_refused(check: Callable[[str], None]) -> None:
    with pytest.raises(Invalid):
        check("abc\n")


# --- details -------------------------------------------------------------------------------


def test_complete_valid_details_pass() -> None:
    check_details(
        details(
            birth_date=date(1980, 3, 14),
            email="ana.torres@example.org",
            phone="+51 (1) 987-654.321",
            identifiers=(Identifier("urn:pe:dni", "40123456"), Identifier("urn:x", "40123456")),
            conditions=(CodedEntry(code="44054006"),),
            allergies=(CodedEntry(display="Penicillin"),),
        ),
        TODAY,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": HumanName(text="   ")}, "name"),
        ({"birth_date": date(2024, 6, 16)}, "birthDate"),
        ({"birth_date": date(1873, 6, 15)}, "birthDate"),  # 151 today
        ({"email": "not-an-email"}, "email"),
        ({"email": "two@@example.org"}, "email"),
        ({"email": "a b@example.org"}, "email"),
        ({"email": "ana@example.org\n"}, "email"),
        ({"phone": "call me"}, "phoneNumber"),
        ({"phone": "123"}, "phoneNumber"),
        ({"phone": "+51 987 654 321\n"}, "phoneNumber"),
        ({"identifiers": (Identifier("urn:pe:dni", " "),)}, "identifiers[0]"),
        ({"identifiers": (Identifier("", "1"),)}, "identifiers[0]"),
        (
            {"identifiers": (Identifier("urn:pe:dni", "1"), Identifier("urn:pe:dni", "1"))},
            "identifiers[1]",
        ),
        ({"conditions": (CodedEntry(system="http://snomed.info/sct"),)}, "conditions[0]"),
        ({"allergies": (CodedEntry(display="x"), CodedEntry())}, "allergies[1]"),
    ],
)
def test_each_broken_field_is_reported_by_its_path(
    overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(Invalid) as caught:
        check_details(details(**overrides), TODAY)
    assert field_errors(caught) == [field]


@pytest.mark.parametrize(
    ("today", "oldest"),
    [(TODAY, date(1873, 6, 16)), (date(2028, 2, 29), date(1877, 3, 1))],
)
def test_births_from_today_back_to_the_oldest_age_are_in_range(today: date, oldest: date) -> None:
    check_details(details(birth_date=today), today)
    check_details(details(birth_date=oldest), today)
    assert patient(oldest).age(today) == MAX_AGE
    with pytest.raises(Invalid) as caught:
        check_details(details(birth_date=oldest - timedelta(days=1)), today)
    assert field_errors(caught) == ["birthDate"]


def test_every_broken_field_is_reported_at_once() -> None:
    broken = details(name=HumanName(text=""), email="nope", phone="?", birth_date=date(3000, 1, 1))
    with pytest.raises(Invalid) as caught:
        check_details(broken, TODAY)
    assert set(field_errors(caught)) == {"name", "email", "phoneNumber", "birthDate"}


# --- versions and events -------------------------------------------------------------------


def test_a_revision_is_one_version_later_and_keeps_identity() -> None:
    later = datetime(2024, 6, 16, tzinfo=UTC)
    revised = patient().revised(details(email="new@example.org"), later)
    assert (revised.id, revised.mrn, revised.created_at) == ("p1", "00000018", NOW)
    assert (revised.version, revised.updated_at) == (2, later)
    assert revised.details.email == "new@example.org"


def test_deactivation_is_one_version_later_and_keeps_the_record() -> None:
    later = datetime(2024, 6, 16, tzinfo=UTC)
    inactive = patient().deactivated(later)
    assert not inactive.active
    assert (inactive.version, inactive.updated_at) == (2, later)
    assert inactive.details == patient().details


def test_event_payloads_carry_ids_and_codes_only() -> None:
    registered = PatientRegistered(
        aggregate_id="p1", occurred_at=NOW, actor_id="u", country_id="PE"
    )
    updated = PatientUpdated(
        aggregate_id="p1",
        occurred_at=NOW,
        actor_id="u",
        country_id="PE",
        version=2,
        changed_fields=("email",),
    )
    assert registered.payload() == {"patientId": "p1", "countryId": "PE"}
    assert updated.payload() == {
        "patientId": "p1",
        "countryId": "PE",
        "version": 2,
        "changedFields": ["email"],
    }
    assert registered.event_id != updated.event_id
