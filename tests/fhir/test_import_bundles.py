"""Transaction and batch Bundles: a transaction with one bad entry writes nothing and fails
naming the entry (never its content); a batch writes the others and answers for each entry,
in order. References are followed inside the bundle, then into carehub."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from carehub.bootstrap import Carehub
from carehub.countries.errors import CountryNotFound
from carehub.fhir.import_report import EntryStatus
from carehub.fhir.outcome import operation_outcome
from carehub.fhir.resources.patient import patient_resource
from carehub.fhir.resources.practitioner import practitioner_resource
from carehub.kernel.errors import Conflict, Invalid, NotFound
from carehub.patients.ports import PatientFilter
from tests.fhir.import_world import (
    ADMIN,
    IMPORTER,
    WITH_DYNAMODB,
    built_carehub,  # noqa: F401 (the `carehub` fixture)
    by_status,
    each_store,  # noqa: F401 (the `store` fixture)
    every_patient,
)

NPI = "http://hl7.org/fhir/sid/us-npi"
MRN = "http://hospital.example.org/mrn"
SNOMED = "http://snomed.info/sct"


def entry(full_url: str, resource: dict[str, Any], method: str = "POST") -> dict[str, Any]:
    url = resource["resourceType"]
    if method == "PUT":
        url = f"{url}/{resource['id']}"
    return {"fullUrl": full_url, "resource": resource, "request": {"method": method, "url": url}}


def clinic_bundle(kind: str) -> dict[str, Any]:
    """A Dutch patient (no country NL yet) with a condition, an allergy and a medication
    their doctor prescribed."""
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            entry(
                "urn:uuid:dr",
                {
                    "resourceType": "Practitioner",
                    "identifier": [{"system": NPI, "value": "1234567893"}],
                    "name": [{"family": "Visser", "given": ["Anouk"]}],
                    "address": [{"country": "NLD"}],
                },
            ),
            entry(
                "urn:uuid:pt",
                {
                    "resourceType": "Patient",
                    "identifier": [{"system": MRN, "value": "mrn-1"}],
                    "name": [{"family": "de Vries", "given": ["Daan"]}],
                    "birthDate": "1980-04-02",
                    "address": [{"city": "Utrecht", "country": "NL"}],
                },
            ),
            entry(
                "urn:uuid:cond",
                {
                    "resourceType": "Condition",
                    "clinicalStatus": {"coding": [{"code": "active"}]},
                    "code": {"coding": [{"system": SNOMED, "code": "38341003"}]},
                    "subject": {"reference": "urn:uuid:pt"},
                },
            ),
            entry(
                "urn:uuid:allergy",
                {
                    "resourceType": "AllergyIntolerance",
                    "code": {"coding": [{"system": SNOMED, "code": "91936005"}]},
                    "patient": {"reference": "urn:uuid:pt"},
                },
            ),
            entry(
                "urn:uuid:med",
                {
                    "resourceType": "MedicationRequest",
                    "status": "active",
                    "intent": "order",
                    "medicationCodeableConcept": {
                        "coding": [
                            {
                                "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                "code": "197361",
                                "display": "Amlodipine 5 MG",
                            }
                        ]
                    },
                    "subject": {"reference": "urn:uuid:pt"},
                    "authoredOn": "2024-01-05",
                    "requester": {"reference": f"Practitioner?identifier={NPI}|1234567893"},
                },
            ),
            entry("urn:uuid:obs", {"resourceType": "Observation", "status": "final"}),
        ],
    }


def with_bad_birth_date(bundle: dict[str, Any]) -> dict[str, Any]:
    spoiled = copy.deepcopy(bundle)
    spoiled["entry"][1]["resource"]["birthDate"] = "1850-01-01"
    return spoiled


async def nothing_written(carehub: Carehub) -> None:
    assert await every_patient(carehub) == []
    assert await carehub.doctors.find_by_license(license="1234567893") is None
    with pytest.raises(CountryNotFound):
        await carehub.countries.get(country_id="NL")


@pytest.mark.parametrize("store", WITH_DYNAMODB)
async def test_a_transaction_writes_its_records_through_the_use_cases(carehub: Carehub) -> None:
    report = await carehub.fhir_import.import_bundle(clinic_bundle("transaction"), actor=IMPORTER)
    statuses = [(o.resource_type, o.status) for o in report.entries]
    assert statuses == [
        ("Practitioner", EntryStatus.IMPORTED),
        ("Patient", EntryStatus.IMPORTED),
        ("Condition", EntryStatus.IMPORTED),
        ("AllergyIntolerance", EntryStatus.IMPORTED),
        ("MedicationRequest", EntryStatus.IMPORTED),
        ("Observation", EntryStatus.SKIPPED),
    ]
    (patient,) = await every_patient(carehub)
    assert report.entries[1].location == f"Patient/{patient.id}"
    assert patient.country_id == "NL"  # made from its code's rule set
    assert (await carehub.countries.get(country_id="NL")).name == "Netherlands"
    assert [c.code for c in patient.details.conditions] == ["38341003"]
    assert [a.code for a in patient.details.allergies] == ["91936005"]
    doctor = await carehub.doctors.find_by_license(license="1234567893")
    assert doctor is not None
    assert (doctor.name, doctor.specialty, doctor.weekly) == (
        "Anouk Visser",
        "General practice",
        (),
    )
    page = await carehub.medications.list_for_patient(
        actor=ADMIN, patient_id=patient.id, statuses=None
    )
    (medication,) = page.items
    assert (medication.name, medication.prescriber_id) == ("Amlodipine 5 MG", doctor.id)
    assert report.entries[4].location == f"MedicationRequest/{medication.id}"


@pytest.mark.parametrize("store", WITH_DYNAMODB)
async def test_a_transaction_with_one_bad_entry_writes_nothing(carehub: Carehub) -> None:
    with pytest.raises(Invalid) as caught:
        await carehub.fhir_import.import_bundle(
            with_bad_birth_date(clinic_bundle("transaction")), actor=IMPORTER
        )
    error = caught.value
    assert "entry 1 (urn:uuid:pt)" in error.detail
    assert [e.field for e in error.errors] == ["entry[1].resource.birthDate"]
    assert "1850" not in error.detail + " ".join(e.message for e in error.errors)
    await nothing_written(carehub)


async def test_a_transaction_whose_reference_points_nowhere_writes_nothing(
    carehub: Carehub,
) -> None:
    bundle = clinic_bundle("transaction")
    bundle["entry"][2]["resource"]["subject"] = {"reference": "Patient/nobody"}
    with pytest.raises(Invalid) as caught:
        await carehub.fhir_import.import_bundle(bundle, actor=IMPORTER)
    assert "entry 2 (urn:uuid:cond)" in caught.value.detail
    assert [e.field for e in caught.value.errors] == ["entry[2].resource.subject"]
    await nothing_written(carehub)


@pytest.mark.parametrize("store", WITH_DYNAMODB)
async def test_a_batch_with_one_bad_entry_writes_the_others(carehub: Carehub) -> None:
    bundle = clinic_bundle("batch")
    bundle["entry"].append(entry("urn:uuid:bad", {"resourceType": "Patient", "colour": "blue"}))
    report = await carehub.fhir_import.import_bundle(bundle, actor=IMPORTER)
    assert [o.index for o in report.entries] == list(range(7))
    found = by_status(report)
    assert [o.resource_type for o in found["failed"]] == ["Patient"]
    failed = found["failed"][0]
    assert failed.full_url == "urn:uuid:bad"
    assert failed.error is not None
    assert operation_outcome(failed.error.kind, failed.error.detail, failed.error.errors) == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "invalid",
                "diagnostics": "colour: is not an element of Patient in FHIR R4",
                "expression": ["colour"],
            }
        ],
    }
    assert len(found["imported"]) == 5
    assert len(await every_patient(carehub)) == 1


async def test_in_a_batch_what_depends_on_a_failed_entry_fails_with_it(carehub: Carehub) -> None:
    report = await carehub.fhir_import.import_bundle(
        with_bad_birth_date(clinic_bundle("batch")), actor=IMPORTER
    )
    statuses = {o.resource_type: o.status for o in report.entries}
    assert statuses["Patient"] is EntryStatus.FAILED
    for dependent in ("Condition", "AllergyIntolerance", "MedicationRequest"):
        assert statuses[dependent] is EntryStatus.FAILED
        (outcome,) = [o for o in report.entries if o.resource_type == dependent]
        assert outcome.error is not None
        assert "entry 1 (urn:uuid:pt)" in outcome.error.detail
    assert statuses["Practitioner"] is EntryStatus.IMPORTED
    assert await every_patient(carehub) == []


@pytest.mark.parametrize("store", WITH_DYNAMODB)
async def test_a_record_already_present_gains_only_what_it_lacks(carehub: Carehub) -> None:
    await carehub.fhir_import.import_bundle(clinic_bundle("transaction"), actor=IMPORTER)
    later = clinic_bundle("transaction")
    later["entry"][2]["resource"]["code"]["coding"][0]["code"] = "44054006"  # a new condition
    report = await carehub.fhir_import.import_bundle(later, actor=IMPORTER)
    statuses = [o.status for o in report.entries[:5]]
    assert statuses == [
        EntryStatus.PRESENT,
        EntryStatus.PRESENT,
        EntryStatus.IMPORTED,
        EntryStatus.PRESENT,
        EntryStatus.PRESENT,
    ]
    (patient,) = await every_patient(carehub)
    assert [c.code for c in patient.details.conditions] == ["38341003", "44054006"]
    assert patient.version == 2


async def test_a_later_bundle_refers_to_what_carehub_holds(carehub: Carehub) -> None:
    await carehub.fhir_import.import_bundle(clinic_bundle("transaction"), actor=IMPORTER)
    (patient,) = await every_patient(carehub)
    by_identifier = {"reference": f"Patient?identifier={MRN}|mrn-1"}
    for subject in ({"reference": f"Patient/{patient.id}"}, by_identifier):
        allergy = {
            "resourceType": "AllergyIntolerance",
            "code": {"text": f"Allergy named by {subject['reference'][:8]}"},
            "patient": subject,
        }
        bundle = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [entry("urn:uuid:a", allergy)],
        }
        report = await carehub.fhir_import.import_bundle(bundle, actor=IMPORTER)
        assert report.entries[0].status is EntryStatus.IMPORTED
    (patient,) = await every_patient(carehub)
    assert len(patient.details.allergies) == 3


async def test_a_put_names_the_records_id(carehub: Carehub) -> None:
    bundle = clinic_bundle("transaction")
    bundle["entry"][1] = entry(
        "urn:uuid:pt", {**bundle["entry"][1]["resource"], "id": "daan-1"}, "PUT"
    )
    await carehub.fhir_import.import_bundle(bundle, actor=IMPORTER)
    patient = await carehub.patients.get(actor=ADMIN, patient_id="daan-1")
    assert patient.details.name.family == "de Vries"
    mismatched = clinic_bundle("batch")
    mismatched["entry"][1]["resource"]["id"] = "daan-1"
    mismatched["entry"][1]["request"] = {"method": "PUT", "url": "Patient/other"}
    report = await carehub.fhir_import.import_bundle(mismatched, actor=IMPORTER)
    assert report.entries[1].status is EntryStatus.FAILED


async def test_a_forced_country_must_exist(carehub: Carehub) -> None:
    with pytest.raises(NotFound):
        await carehub.fhir_import.import_bundle(
            clinic_bundle("batch"), actor=IMPORTER, country_id="nowhere"
        )
    await carehub.countries.load_shipped(actor=ADMIN)
    report = await carehub.fhir_import.import_bundle(
        clinic_bundle("batch"), actor=IMPORTER, country_id="PE"
    )
    assert report.entries[1].status is EntryStatus.IMPORTED
    page = await carehub.patients.search(
        actor=ADMIN, criteria=PatientFilter(country_id="PE"), cursor=None, limit=10
    )
    assert len(page.items) == 1


def with_two_doctors_of_one_id(bundle: dict[str, Any]) -> dict[str, Any]:
    """The bundle with two more practitioners, both PUT at one id: the second can only
    fail when it is written (the id is free when the bundle is read)."""
    doubled = copy.deepcopy(bundle)
    for npi in ("1111111111", "2222222222"):
        practitioner = {
            "resourceType": "Practitioner",
            "id": "dr-twice",
            "identifier": [{"system": NPI, "value": npi}],
            "name": [{"family": "Jansen"}],
            "address": [{"country": "NL"}],
        }
        doubled["entry"].append(entry(f"urn:uuid:dr-{npi}", practitioner, "PUT"))
    return doubled


async def test_a_transaction_that_fails_as_it_writes_leaves_nothing_written(
    carehub: Carehub,
) -> None:
    """Its writes are one unit of work: the patient, the doctors and the country written
    before the failing one are rolled back with it."""
    bundle = with_two_doctors_of_one_id(clinic_bundle("transaction"))
    with pytest.raises(Conflict) as caught:
        await carehub.fhir_import.import_bundle(bundle, actor=IMPORTER)
    assert "entry 7 (urn:uuid:dr-2222222222)" in caught.value.detail
    await nothing_written(carehub)
    assert await carehub.doctors.find_by_license(license="1111111111") is None


async def test_a_batch_that_fails_as_it_writes_keeps_what_was_written(carehub: Carehub) -> None:
    report = await carehub.fhir_import.import_bundle(
        with_two_doctors_of_one_id(clinic_bundle("batch")), actor=IMPORTER
    )
    assert [o.status for o in report.entries[6:]] == [EntryStatus.IMPORTED, EntryStatus.FAILED]
    assert len(await every_patient(carehub)) == 1
    assert await carehub.doctors.find_by_license(license="1111111111") is not None


@pytest.mark.parametrize("store", WITH_DYNAMODB)
async def test_what_carehub_serves_comes_back_as_already_present(carehub: Carehub) -> None:
    """A Patient and a Practitioner as carehub serves them (its MRN and doctor-id
    identifiers) are the records they came from, not new ones."""
    await carehub.fhir_import.import_bundle(clinic_bundle("transaction"), actor=IMPORTER)
    (patient,) = await every_patient(carehub)
    doctor = await carehub.doctors.find_by_license(license="1234567893")
    assert doctor is not None
    served = [
        entry("urn:uuid:p", patient_resource(patient)),
        entry("urn:uuid:d", practitioner_resource(doctor)),
    ]
    report = await carehub.fhir_import.import_bundle(
        {"resourceType": "Bundle", "type": "batch", "entry": served}, actor=IMPORTER
    )
    assert [(o.status, o.location) for o in report.entries] == [
        (EntryStatus.PRESENT, f"Patient/{patient.id}"),
        (EntryStatus.PRESENT, f"Practitioner/{doctor.id}"),
    ]
    assert await every_patient(carehub) == [patient]
