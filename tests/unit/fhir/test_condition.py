"""Conditions and allergies as Condition and AllergyIntolerance, and their ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carehub.fhir.resources.condition import (
    allergy_id,
    allergy_resource,
    allergy_resources,
    condition_id,
    condition_resource,
    condition_resources,
    entry_key,
    find_entry,
    parse_allergy_id,
    parse_condition_id,
)
from carehub.fhir.terminology import ICD_10, SNOMED
from carehub.kernel.ids import new_id
from carehub.patients.model import CodedEntry, HumanName, Patient, PatientDetails
from tests.support.fhir_checks import validated

DIABETES = CodedEntry("44054006", SNOMED, "Diabetes mellitus type 2")
ASTHMA = CodedEntry("J45", "icd10", "Asma")
COUGH = CodedEntry(display="Tos crónica")
LOCAL = CodedEntry("HT-2", "Lista local", "Hipertensión")
PENICILLIN = CodedEntry("91936005", SNOMED, "Allergy to penicillin")
CREATED = datetime(2031, 3, 10, 23, 30, tzinfo=UTC)


def a_patient(*conditions: CodedEntry, allergies: tuple[CodedEntry, ...] = ()) -> Patient:
    return Patient(
        id=new_id(),
        mrn="PE-000123",
        country_id="PE",
        details=PatientDetails(
            name=HumanName.from_text("Ana Quispe"), conditions=conditions, allergies=allergies
        ),
        version=4,
        created_at=CREATED,
        updated_at=datetime(2031, 4, 1, 9, 0, tzinfo=UTC),
    )


def test_a_condition_is_an_active_confirmed_problem_of_the_patient() -> None:
    patient = a_patient(DIABETES)

    resource = validated(condition_resource(patient, DIABETES))

    assert resource["id"] == condition_id(patient.id, DIABETES)
    assert resource["clinicalStatus"]["coding"][0]["code"] == "active"
    assert resource["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert resource["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert resource["code"] == {
        "coding": [{"system": SNOMED, "code": "44054006", "display": "Diabetes mellitus type 2"}],
        "text": "Diabetes mellitus type 2",
    }
    assert resource["subject"] == {"reference": f"Patient/{patient.id}"}
    assert resource["recordedDate"] == "2031-03-10"
    assert resource["meta"] == {"lastUpdated": "2031-04-01T09:00:00.000Z"}


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        (
            ASTHMA,
            {"coding": [{"system": ICD_10, "code": "J45", "display": "Asma"}], "text": "Asma"},
        ),
        (COUGH, {"text": "Tos crónica"}),
        # A system that is neither a known name nor a URI cannot be a Coding's system.
        (LOCAL, {"coding": [{"code": "HT-2", "display": "Hipertensión"}], "text": "Hipertensión"}),
        (CodedEntry("E11"), {"coding": [{"code": "E11"}]}),
    ],
)
def test_a_code_is_as_complete_as_the_entry(entry: CodedEntry, code: dict[str, object]) -> None:
    resource = validated(condition_resource(a_patient(entry), entry))

    assert resource["code"] == code


def test_an_allergy_is_active_and_confirmed_for_the_patient() -> None:
    patient = a_patient(allergies=(PENICILLIN,))

    resource = validated(allergy_resource(patient, PENICILLIN))

    assert resource["id"] == allergy_id(patient.id, PENICILLIN)
    assert resource["clinicalStatus"]["coding"][0]["code"] == "active"
    assert resource["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert resource["patient"] == {"reference": f"Patient/{patient.id}"}
    assert resource["code"]["coding"][0]["code"] == "91936005"


def test_an_id_names_the_patient_and_the_entry_and_reads_back() -> None:
    patient = a_patient(DIABETES, ASTHMA, allergies=(DIABETES,))

    for entry in patient.details.conditions:
        resource_id = condition_id(patient.id, entry)
        assert len(resource_id) == 53
        patient_id, key = parse_condition_id(resource_id) or ("", "")
        assert patient_id == patient.id
        assert find_entry(patient, "condition", key) == entry
    patient_id, key = parse_allergy_id(allergy_id(patient.id, DIABETES)) or ("", "")
    assert (patient_id, find_entry(patient, "allergy", key)) == (patient.id, DIABETES)


def test_an_id_stays_while_its_entry_does_wherever_it_is_listed() -> None:
    before = a_patient(COUGH, DIABETES)
    after = a_patient(DIABETES)  # the cough was taken off the list

    kept = entry_key("condition", before.details.conditions[1])
    assert kept == entry_key("condition", after.details.conditions[0])
    assert find_entry(after, "condition", kept) == DIABETES
    assert find_entry(after, "condition", entry_key("condition", COUGH)) is None


def test_a_condition_and_an_allergy_with_the_same_code_have_different_ids() -> None:
    assert condition_id("p-1", DIABETES) != allergy_id("p-1", DIABETES)
    key = entry_key("condition", DIABETES)
    assert find_entry(a_patient(allergies=(DIABETES,)), "allergy", key) is None


def test_identical_entries_are_one_resource() -> None:
    patient = a_patient(DIABETES, ASTHMA, DIABETES, allergies=(PENICILLIN, PENICILLIN))

    conditions = [validated(r) for r in condition_resources(patient)]
    allergies = [validated(r) for r in allergy_resources(patient)]

    assert [c["code"]["text"] for c in conditions] == ["Diabetes mellitus type 2", "Asma"]
    assert len(allergies) == 1


@pytest.mark.parametrize(
    "resource_id",
    [
        "",
        "p-1",
        "p-1.",
        ".0123456789abcdef",
        "p-1.0123456789ABCDEF",
        "p-1.0123456789abcde",
        "p_1.0123456789abcdef",
        f"{'p' * 48}.0123456789abcdef",
    ],
)
def test_what_is_not_an_entrys_id_is_not_read(resource_id: str) -> None:
    assert parse_condition_id(resource_id) is None
    assert parse_allergy_id(resource_id) is None
