"""The FHIR input models: strict and bounded (an unknown element, a modifier carehub does not
understand, a string too long, a date out of range or a value of the wrong type is refused
with a 422 naming the element, never its value), and what each keeps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from carehub.clinical.medications import CodeSystem, MedicationCode, MedicationStatus, Route
from carehub.fhir.schemas.bundle import MAX_ENTRIES, read_bundle, read_entry
from carehub.fhir.schemas.conditions import coded_entry, read_allergy, read_condition
from carehub.fhir.schemas.medications import (
    named_code,
    read_medication_request,
    read_medication_statement,
)
from carehub.fhir.schemas.patient import patient_details_of, read_patient
from carehub.fhir.schemas.practitioners import read_practitioner, read_practitioner_role
from carehub.kernel.errors import Invalid
from carehub.patients.model import Address, CodedEntry, HumanName, Identifier, Sex

SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def patient(**elements: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "p1",
        "name": [{"use": "official", "family": "Chalmers", "given": ["Peter", "James"]}],
        **elements,
    }


def refused(read: Any, resource: dict[str, Any]) -> dict[str, str]:
    """The field errors of a refused resource, by field."""
    with pytest.raises(Invalid) as caught:
        read(resource)
    return {e.field: e.message for e in caught.value.errors}


def medication_request(**elements: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "313782", "display": "Acetaminophen 325 MG"}]
        },
        "subject": {"reference": "urn:uuid:p1"},
        **elements,
    }


def test_a_patient_becomes_carehubs_details_and_the_names_of_what_is_not_kept() -> None:
    details, not_kept = patient_details_of(
        patient(
            name=[
                {"use": "usual", "given": ["Jim"]},
                {"use": "official", "family": "Chalmers", "given": ["Peter"], "prefix": ["Mr."]},
            ],
            gender="male",
            birthDate="1974-12-25",
            telecom=[
                {"system": "phone", "value": "not a phone!"},
                {"system": "phone", "value": "(03) 5555 6473", "use": "work"},
                {"system": "email", "value": "peter@example.org"},
            ],
            address=[
                {"line": ["534 Erewhon St"], "city": "PleasantVille", "postalCode": "3999"},
                {"city": "Elsewhere"},
            ],
            identifier=[
                {"system": "urn:oid:1.2.36.146.595.217.0.1", "value": "12345"},
                {"system": "urn:oid:1.2.36.146.595.217.0.1", "value": "12345"},
                {"value": "no system"},
            ],
            maritalStatus={"text": "Married"},
            _gender={"extension": []},
        )
    )
    assert details.name == HumanName("Peter Chalmers", ("Peter",), "Chalmers")
    assert (details.sex, details.birth_date) == (Sex.MALE, date(1974, 12, 25))
    assert not details.birth_date_estimated
    assert (details.phone, details.email) == ("(03) 5555 6473", "peter@example.org")
    assert details.address == Address(
        lines=("534 Erewhon St",), city="PleasantVille", postal_code="3999"
    )
    assert details.identifiers == (Identifier("urn:oid:1.2.36.146.595.217.0.1", "12345"),)
    assert (details.conditions, details.allergies) == ((), ())
    assert {"maritalStatus", "_gender", "name.prefix"} <= set(not_kept)
    assert "id" in not_kept


def test_carehubs_own_mrn_is_not_kept_as_an_external_identifier() -> None:
    """A record as carehub serves it carries its MRN: carehub gives its own, on import."""
    details, not_kept = patient_details_of(
        patient(
            identifier=[
                {"system": "urn:carehub:mrn:US", "value": "US-000001"},
                {"system": "http://hospital.example.org", "value": "H1"},
            ]
        )
    )
    assert details.identifiers == (Identifier("http://hospital.example.org", "H1"),)
    assert any(name.startswith("identifier") for name in not_kept)


@pytest.mark.parametrize(
    ("written", "estimate"),
    [("1974-12", date(1974, 12, 16)), ("1974", date(1974, 7, 2)), ("2000-02", date(2000, 2, 15))],
)
def test_a_partial_birth_date_is_kept_as_the_middle_of_its_span(
    written: str, estimate: date
) -> None:
    details, _ = patient_details_of(patient(birthDate=written))
    assert (details.birth_date, details.birth_date_estimated) == (estimate, True)


def test_an_element_that_is_not_one_of_the_type_in_r4_is_refused() -> None:
    assert refused(read_patient, patient(favouriteColour="blue")) == {
        "favouriteColour": "is not an element of Patient in FHIR R4"
    }
    nested = patient(name=[{"family": "Chalmers", "nickname": "Jim"}])
    assert refused(read_patient, nested) == {
        "name[0].nickname": "is not an element of its type in FHIR R4"
    }
    # An element of another version or another type is no element of this one.
    assert "onsetDateTime" in refused(read_patient, patient(onsetDateTime="2020-01-01"))


@pytest.mark.parametrize(
    ("read", "resource", "field"),
    [
        (
            read_patient,
            patient(modifierExtension=[{"url": "http://x.org/pi"}]),
            "modifierExtension",
        ),
        (read_patient, patient(implicitRules="http://x.org/rules"), "implicitRules"),
        (
            read_medication_request,
            medication_request(dosageInstruction=[{"modifierExtension": [{"url": "http://x"}]}]),
            "dosageInstruction[0].modifierExtension",
        ),
        (
            read_patient,
            patient(
                link=[
                    {
                        "other": {"reference": "Patient/2"},
                        "type": "seealso",
                        "modifierExtension": [{"url": "http://x"}],
                    }
                ]
            ),
            "link[0].modifierExtension",
        ),
    ],
)
def test_a_modifier_carehub_does_not_understand_is_refused_never_ignored(
    read: Any, resource: dict[str, Any], field: str
) -> None:
    errors = refused(read, resource)
    assert list(errors) == [field]
    assert "modifier" in errors[field]


@pytest.mark.parametrize(
    ("elements", "field"),
    [
        ({"name": [{"family": "x" * 101}]}, "name[0].family"),
        ({"name": [{"given": ["Ana"] * 11}]}, "name[0].given"),
        ({"identifier": [{"system": "urn:a", "value": str(n)} for n in range(21)]}, "identifier"),
        ({"identifier": [{"system": "urn:a", "value": "v" * 257}]}, "identifier[0].value"),
        ({"address": [{"line": ["Main St\nFloor 2"]}]}, "address[0].line[0]"),
        ({"name": [{"family": "Chalmers\u202e"}]}, "name[0].family"),
    ],
)
def test_a_string_too_long_a_list_too_long_or_a_control_character_is_refused(
    elements: dict[str, Any], field: str
) -> None:
    assert list(refused(read_patient, patient(**elements))) == [field]


@pytest.mark.parametrize("written", ["1850-01-01", "2201-01-01", "0001"])
def test_a_date_out_of_carehubs_years_is_refused(written: str) -> None:
    errors = refused(read_patient, patient(birthDate=written))
    assert errors == {"birthDate": "must be within the years 1900 to 2200"}
    request = medication_request(authoredOn=f"{written[:4]}-01-01T10:00:00Z")
    assert list(refused(read_medication_request, request)) == ["authoredOn"]


@pytest.mark.parametrize(
    ("elements", "field"),
    [
        ({"birthDate": "1974-13-01"}, "birthDate"),
        ({"birthDate": "25/12/1974"}, "birthDate"),
        ({"birthDate": 1974}, "birthDate"),
        ({"gender": "MALE"}, "gender"),
        ({"gender": 1}, "gender"),
        ({"active": "true"}, "active"),
        ({"name": {"family": "Chalmers"}}, "name"),
        ({"telecom": [{"system": "pigeon", "value": "x"}]}, "telecom[0].system"),
    ],
)
def test_a_value_of_the_wrong_type_or_form_is_refused(elements: dict[str, Any], field: str) -> None:
    assert list(refused(read_patient, patient(**elements))) == [field]


def test_an_error_names_the_element_never_the_value_sent() -> None:
    with pytest.raises(Invalid) as caught:
        read_patient(patient(birthDate="1850-06-01", gender="secret-value"))
    text = caught.value.detail + " ".join(e.message for e in caught.value.errors)
    assert "1850" not in text
    assert "secret-value" not in text


@pytest.mark.parametrize(
    ("elements", "field"),
    [
        ({"active": False}, "active"),
        ({"link": [{"other": {"reference": "Patient/2"}, "type": "replaced-by"}]}, "link[0].type"),
        ({"name": [{"use": "old", "family": "Former"}]}, "name"),
        ({"name": []}, "name"),
    ],
)
def test_a_patient_carehub_cannot_keep_is_refused(elements: dict[str, Any], field: str) -> None:
    assert list(refused(patient_details_of, patient(**elements))) == [field]


def condition(
    clinical: str | None = "active", verification: str | None = "confirmed"
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "code": {"coding": [{"system": SNOMED, "code": "44054006"}], "text": "Diabetes"},
        "subject": {"reference": "urn:uuid:p1"},
    }
    if clinical:
        resource["clinicalStatus"] = {"coding": [{"code": clinical}]}
    if verification:
        resource["verificationStatus"] = {"coding": [{"code": verification}]}
    return resource


@pytest.mark.parametrize(
    ("clinical", "verification", "kept"),
    [
        ("active", "confirmed", True),
        ("relapse", None, True),
        (None, None, True),
        ("resolved", "confirmed", False),
        ("inactive", "confirmed", False),
        ("active", "refuted", False),
        ("active", "entered-in-error", False),
        ("active", "differential", False),
    ],
)
def test_only_a_condition_that_holds_now_is_kept(
    clinical: str | None, verification: str | None, kept: bool
) -> None:
    reason = read_condition(condition(clinical, verification)).why_not_kept()
    assert (reason is None) is kept


def test_a_coded_entry_is_the_first_coding_or_the_text_alone() -> None:
    found = read_condition(condition())
    assert coded_entry(found.code) == CodedEntry("44054006", SNOMED, "Diabetes")
    allergy = read_allergy(
        {
            "resourceType": "AllergyIntolerance",
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "verificationStatus": {"coding": [{"code": "unconfirmed"}]},
            "code": {"text": "Cat dander"},
            "patient": {"reference": "Patient/p1"},
        }
    )
    assert allergy.why_not_kept() is None  # a suspected allergy matters
    assert coded_entry(allergy.code) == CodedEntry(display="Cat dander")


@pytest.mark.parametrize(
    ("elements", "reason"),
    [
        ({"intent": "plan"}, "intent plan: not a prescription"),
        ({"doNotPerform": True}, "doNotPerform: a request not to take it"),
        ({"status": "draft"}, "status draft: carehub keeps active, stopped and completed ones"),
        ({"status": "stopped"}, None),
    ],
)
def test_a_request_that_is_no_prescription_to_act_on_is_not_kept(
    elements: dict[str, Any], reason: str | None
) -> None:
    assert read_medication_request(medication_request(**elements)).why_not_kept() == reason


def test_a_medication_keeps_its_code_dose_route_and_frequency() -> None:
    request = read_medication_request(
        medication_request(
            dosageInstruction=[
                {
                    "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                    "route": {"coding": [{"system": SNOMED, "code": "26643006"}]},
                    "doseAndRate": [{"doseQuantity": {"value": 500, "unit": "mg"}}],
                    "asNeededBoolean": True,
                }
            ]
        )
    )
    assert request.medication_status() is MedicationStatus.ACTIVE
    concept = request.medication_codeable_concept
    assert concept is not None
    assert named_code(concept) == (
        "Acetaminophen 325 MG",
        MedicationCode(CodeSystem.RXNORM, "313782"),
    )
    dosage = request.dosage_instruction[0]
    assert dosage.dose() == (Decimal("500"), "mg")
    assert dosage.carehub_route() is Route.ORAL
    assert dosage.frequency() == "2 per day, as needed"


@pytest.mark.parametrize(
    ("dosage", "dose", "frequency"),
    [
        ({"doseAndRate": [{"doseQuantity": {"value": 1}}]}, None, None),
        (
            {"doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mg", "comparator": "<"}}]},
            None,
            None,
        ),
        (
            {"timing": {"repeat": {"frequency": 1, "period": 6, "periodUnit": "h"}}},
            None,
            "1 every 6 hours",
        ),
        ({"text": "Take as needed."}, None, "Take as needed."),
    ],
)
def test_a_dose_without_its_unit_or_with_a_comparator_is_not_kept(
    dosage: dict[str, Any], dose: Any, frequency: str | None
) -> None:
    request = read_medication_request(medication_request(dosageInstruction=[dosage]))
    assert request.dosage_instruction[0].dose() == dose
    assert request.dosage_instruction[0].frequency() == frequency


def test_a_medication_without_a_known_code_system_keeps_its_name_alone() -> None:
    statement = read_medication_statement(
        {
            "resourceType": "MedicationStatement",
            "status": "completed",
            "medicationCodeableConcept": {
                "coding": [
                    {"system": "http://example.org/drugs", "code": "X1", "display": "Drug X"}
                ]
            },
            "subject": {"reference": "Patient/p1"},
        }
    )
    assert statement.medication_status() is MedicationStatus.COMPLETED
    assert statement.medication_codeable_concept is not None
    assert named_code(statement.medication_codeable_concept) == ("Drug X", None)


def test_a_practitioner_keeps_its_npi_as_license_and_a_role_its_specialty() -> None:
    practitioner = read_practitioner(
        {
            "resourceType": "Practitioner",
            "identifier": [
                {"system": "http://example.org/staff", "value": "D1"},
                {"system": "http://hl7.org/fhir/sid/us-npi", "value": "9999984591"},
            ],
            "name": [{"family": "Reilly", "given": ["Ted"], "prefix": ["Dr."]}],
            "telecom": [{"system": "email", "value": "ted@example.com"}],
            "address": [{"country": "US"}],
        }
    )
    assert practitioner.license() == "9999984591"
    assert practitioner.display_name() == "Ted Reilly"
    assert (practitioner.email(), practitioner.country_code()) == ("ted@example.com", "US")
    role = read_practitioner_role(
        {
            "resourceType": "PractitionerRole",
            "practitioner": {
                "identifier": {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1"}
            },
            "specialty": [{"coding": [{"display": "General Practice Physician"}]}],
        }
    )
    assert role.specialty_text() == "General Practice Physician"


def test_a_bundle_is_a_transaction_or_a_batch_of_bounded_entries() -> None:
    assert read_bundle({"resourceType": "Bundle", "type": "batch"}).entry == ()
    assert list(refused(read_bundle, {"resourceType": "Bundle", "type": "collection"})) == ["type"]
    too_many = {"resourceType": "Bundle", "type": "batch", "entry": [{}] * (MAX_ENTRIES + 1)}
    assert list(refused(read_bundle, too_many)) == ["entry"]
    assert list(refused(read_bundle, {"resourceType": "Patient", "type": "batch"})) == [
        "resourceType"
    ]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({"method": "GET", "url": "Patient"}, "request.method"),
        ({"method": "PUT", "url": "Patient/1", "ifMatch": 'W/"1"'}, "request.ifMatch"),
        ({"url": "Patient"}, "request.method"),
    ],
)
def test_an_entry_is_a_post_or_a_put_without_conditions_carehub_cannot_check(
    request_: dict[str, Any], field: str
) -> None:
    entry = {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient"}, "request": request_}
    assert list(refused(read_entry, entry)) == [field]
