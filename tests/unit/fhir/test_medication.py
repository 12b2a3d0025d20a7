"""Medications as MedicationStatement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from carehub.clinical.medications import CodeSystem, MedicationCode
from carehub.fhir.resources.medication import (
    MEDICATION_CODE_SYSTEMS,
    MEDICATION_SYSTEMS,
    medication_statement_resource,
)
from tests.support.clinical_records import HOUR, NOW, a_medication
from tests.support.fhir_checks import validated

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def test_a_medication_is_a_statement_of_what_how_and_when() -> None:
    resource = validated(medication_statement_resource(a_medication(1)))

    assert resource["status"] == "active"
    assert resource["meta"]["versionId"] == "1"
    assert resource["medicationCodeableConcept"] == {
        "coding": [{"system": RXNORM, "code": "308182"}],
        "text": "Amoxicillin 500 mg capsules",
    }
    assert resource["subject"] == {"reference": "Patient/p-1"}
    assert resource["informationSource"] == {"reference": "Practitioner/dr-1"}
    assert resource["effectivePeriod"] == {"start": "2031-03-10", "end": "2031-03-17"}
    assert resource["dosage"] == [
        {
            "doseAndRate": [{"doseQuantity": {"value": 1.5, "unit": "capsule"}}],
            "route": {"text": "oral"},
            "timing": {"code": {"text": "every 8 hours"}},
            "text": "1.5 capsule oral every 8 hours",
        }
    ]
    assert "statusReason" not in resource


def test_a_stopped_medication_says_why() -> None:
    stopped = a_medication(1).stopped("Rash after the second dose", NOW + HOUR)

    resource = validated(medication_statement_resource(stopped))

    assert resource["status"] == "stopped"
    assert resource["statusReason"] == [{"text": "Rash after the second dose"}]
    assert resource["effectivePeriod"]["end"] == "2031-03-10"
    assert resource["meta"]["versionId"] == "2"


def test_a_completed_medication_is_completed() -> None:
    resource = validated(medication_statement_resource(a_medication(1).completed(NOW)))

    assert resource["status"] == "completed"
    assert "statusReason" not in resource


def test_what_a_medication_lacks_is_absent() -> None:
    bare = a_medication(
        1, code=None, dose=None, dose_unit=None, route=None, frequency=None, end=None
    )

    resource = validated(medication_statement_resource(bare))

    assert resource["medicationCodeableConcept"] == {"text": "Amoxicillin 500 mg capsules"}
    assert resource["effectivePeriod"] == {"start": "2031-03-10"}
    assert "dosage" not in resource


def test_a_whole_dose_stays_a_whole_number() -> None:
    medication = a_medication(1, dose=Decimal("500"), dose_unit="mg", start=date(2031, 3, 10))

    resource = validated(medication_statement_resource(medication))

    assert resource["dosage"][0]["doseAndRate"][0]["doseQuantity"] == {"value": 500, "unit": "mg"}


@pytest.mark.parametrize("system", list(CodeSystem))
def test_every_code_system_has_its_uri_and_back(system: CodeSystem) -> None:
    medication = a_medication(1, code=MedicationCode(system, "1234"))

    resource = validated(medication_statement_resource(medication))

    uri = resource["medicationCodeableConcept"]["coding"][0]["system"]
    assert uri == MEDICATION_SYSTEMS[system]
    assert MEDICATION_CODE_SYSTEMS[uri] is system


def test_the_uris_are_fhirs() -> None:
    assert MEDICATION_SYSTEMS == {
        "rxnorm": RXNORM,
        "atc": "http://www.whocc.no/atc",
        "snomed": "http://snomed.info/sct",
        "ndc": "http://hl7.org/fhir/sid/ndc",
    }
