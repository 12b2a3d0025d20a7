"""PatientChanges is a merge-patch: unmentioned fields stay, None clears, changes are named."""

from __future__ import annotations

from datetime import date

import pytest

from carehub.kernel.errors import Invalid
from carehub.patients.model import (
    Address,
    CodedEntry,
    HumanName,
    Identifier,
    PatientChanges,
    PatientDetails,
    Sex,
    birth_date_for_age,
)

TODAY = date(2024, 6, 15)
CURRENT = PatientDetails(
    name=HumanName.from_text("Ana Torres"),
    birth_date=date(1980, 3, 14),
    sex=Sex.FEMALE,
    email="ana@example.org",
    phone="+51 1 234 5678",
    address=Address(city="Lima"),
    identifiers=(Identifier("urn:pe:dni", "1"),),
    conditions=(CodedEntry(display="Asthma"),),
    allergies=(CodedEntry(display="Penicillin"),),
)


def test_an_empty_change_changes_nothing() -> None:
    assert PatientChanges().apply(CURRENT, TODAY) == (CURRENT, ())


def test_only_mentioned_fields_change() -> None:
    revised, changed = PatientChanges(email="new@example.org").apply(CURRENT, TODAY)
    assert revised.email == "new@example.org"
    assert revised.name == CURRENT.name
    assert revised.address == CURRENT.address
    assert revised.identifiers == CURRENT.identifiers
    assert changed == ("email",)


def test_none_clears_a_field() -> None:
    revised, changed = PatientChanges(address=None, sex=None).apply(CURRENT, TODAY)
    assert revised.address is None
    assert revised.sex is None
    assert changed == ("address", "sex")


def test_setting_a_field_to_its_current_value_is_not_a_change() -> None:
    same = PatientChanges(email=CURRENT.email, name=HumanName.from_text("Ana Torres"))
    assert same.apply(CURRENT, TODAY) == (CURRENT, ())


def test_changed_fields_are_named_in_sorted_order() -> None:
    changes = PatientChanges(
        phone=None,
        allergies=(),
        identifiers=(Identifier("urn:pe:dni", "2"),),
        conditions=(CodedEntry(code="44054006"),),
        name=HumanName.from_text("Ana Torres Vega"),
    )
    _, changed = changes.apply(CURRENT, TODAY)
    assert changed == ("allergies", "conditions", "identifiers", "name", "phone")


def test_an_age_replaces_the_birth_date_with_an_estimate() -> None:
    revised, changed = PatientChanges(age=30).apply(CURRENT, TODAY)
    assert revised.birth_date == birth_date_for_age(30, TODAY)
    assert revised.birth_date_estimated
    assert changed == ("birth_date", "birth_date_estimated")


def test_an_exact_birth_date_clears_the_estimated_flag() -> None:
    estimated, _ = PatientChanges(age=30).apply(CURRENT, TODAY)
    revised, changed = PatientChanges(birth_date=date(1994, 1, 2)).apply(estimated, TODAY)
    assert revised.birth_date == date(1994, 1, 2)
    assert not revised.birth_date_estimated
    assert changed == ("birth_date", "birth_date_estimated")


def test_a_birth_date_sent_with_an_age_wins() -> None:
    revised, _ = PatientChanges(age=30, birth_date=date(1994, 1, 2)).apply(CURRENT, TODAY)
    assert revised.birth_date == date(1994, 1, 2)
    assert not revised.birth_date_estimated


def test_an_impossible_age_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        PatientChanges(age=151).apply(CURRENT, TODAY)
    assert [e.field for e in caught.value.errors] == ["age"]


def test_mentioned_names_every_field_sent_even_when_unchanged() -> None:
    changes = PatientChanges(email=CURRENT.email, address=None, age=30)
    assert set(changes.mentioned()) == {"email", "address", "age"}
    assert PatientChanges().mentioned() == ()
