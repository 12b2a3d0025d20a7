"""Synthea's output imported through carehub's use cases, on SQLite and PostgreSQL: both
folders of the shared data (information bundles first), counted against their README,
then imported again without anything created twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from carehub.audit.ports import AuditFilter
from carehub.bootstrap import Carehub
from carehub.clinical.medications import MedicationStatus
from carehub.entrypoints.cli.import_data import bundle_files
from carehub.fhir.import_report import EntryOutcome, TypeCounts, count_outcomes
from carehub.fhir.importer import MEDICATION_REASON
from tests.fhir.import_world import (
    ADMIN,
    IMPORTER,
    built_carehub,  # noqa: F401 (the `carehub` fixture)
    bundle_of,
    each_store,  # noqa: F401 (the `store` fixture)
    every_patient,
)
from tests.support.shared_data import shared_data

RESOLVED = "clinicalStatus resolved: carehub keeps current conditions only"
# The README's counts of the types carehub does not keep, both folders together.
NOT_KEPT = {
    "Observation": 4938 + 1384,
    "Claim": 1265 + 424,
    "ExplanationOfBenefit": 922 + 424,
    "Encounter": 922 + 317,
    "Procedure": 551 + 689,
    "DiagnosticReport": 378 + 535,
    "Immunization": 310 + 109,
    "CarePlan": 92 + 32,
    "Goal": 56,
    "ImagingStudy": 16 + 11,
    "DocumentReference": 317,
    "CareTeam": 32,
    "SupplyDelivery": 37,
    "Provenance": 10,
    "Device": 7,
    "MedicationAdministration": 6,
}
SYNTHEA_ID = "https://github.com/synthetichealth/synthea"


def synthea_files() -> list[Path]:
    """Each folder's bundles, its information bundles first (as `carehub import` orders)."""
    smart = shared_data("synthea", "smart-on-fhir-r4-synthea")
    massachusetts = shared_data("synthea", "synthea-v3-ma-2024", "fhir")
    return bundle_files([smart]) + bundle_files([massachusetts])


async def import_everything(carehub: Carehub) -> dict[str, TypeCounts]:
    outcomes: list[EntryOutcome] = []
    for path in synthea_files():
        report = await carehub.fhir_import.import_bundle(bundle_of(path), actor=IMPORTER)
        outcomes += report.entries
    return count_outcomes(outcomes)


def summary(counts: dict[str, TypeCounts]) -> dict[str, tuple[int, int, int, int, int]]:
    return {
        t: (c.imported, c.present, c.linked, c.skipped_total, c.failed) for t, c in counts.items()
    }


async def stored_medications(carehub: Carehub) -> Counter[MedicationStatus]:
    statuses: Counter[MedicationStatus] = Counter()
    for patient in await every_patient(carehub):
        page = await carehub.medications.list_for_patient(
            actor=ADMIN, patient_id=patient.id, statuses=None, limit=200
        )
        assert page.next_cursor is None
        statuses.update(m.status for m in page.items)
    return statuses


async def stored_doctors(carehub: Carehub) -> int:
    count, cursor = 0, None
    while True:
        page = await carehub.doctors.search(
            country_id="US", specialty=None, cursor=cursor, limit=200
        )
        count += len(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return count


async def test_both_synthea_folders_are_imported_then_imported_again_unchanged(
    carehub: Carehub,
) -> None:
    first = await import_everything(carehub)

    # Patients, with their current conditions and their allergies in their records.
    assert summary(first)["Patient"] == (30 + 10, 0, 0, 0, 0)
    assert summary(first)["Condition"] == (130 + 69, 0, 0, 115 + 168, 0)
    assert first["Condition"].skipped == {RESOLVED: 115 + 168}
    assert summary(first)["AllergyIntolerance"] == (9 + 9, 0, 0, 0, 0)
    # Every MedicationRequest maps; two of one Massachusetts patient repeat another
    # (the same code started the same day).
    assert summary(first)["MedicationRequest"] == (343 + 105, 2, 0, 0, 0)
    assert first["Medication"].skipped == {MEDICATION_REASON: 6}
    # Practitioners: the information bundles' ones; the 53 the SMART patient bundles
    # repeat inline are matched by NPI.
    assert summary(first)["Practitioner"] == (102 + 47, 53, 0, 0, 0)
    assert summary(first)["PractitionerRole"] == (47, 0, 0, 0, 0)
    # Hospitals and payers stand for carehub's country; one Location has no address.
    assert summary(first)["Organization"] == (0, 0, 155 + 47, 0, 0)
    assert summary(first)["Location"] == (0, 0, 47, 1, 0)
    for resource_type, count in NOT_KEPT.items():
        assert first[resource_type].skipped == {f"carehub does not keep {resource_type}": count}
    assert sum(c.failed for c in first.values()) == 0
    assert sum(len(c.skipped) for c in first.values()) == len(NOT_KEPT) + 3

    patients = await every_patient(carehub)
    assert len(patients) == 40
    assert {p.country_id for p in patients} == {"US"}
    assert all(any(i.system == SYNTHEA_ID for i in p.details.identifiers) for p in patients)
    assert sum(len(p.details.conditions) for p in patients) == 199
    assert sum(len(p.details.allergies) for p in patients) == 18
    medications = await stored_medications(carehub)
    assert medications == {MedicationStatus.ACTIVE: 58 + 12, MedicationStatus.STOPPED: 285 + 93}
    assert await stored_doctors(carehub) == 149

    again = await import_everything(carehub)
    assert summary(again)["Patient"] == (0, 40, 0, 0, 0)
    assert summary(again)["Condition"] == (0, 199, 0, 283, 0)
    assert summary(again)["AllergyIntolerance"] == (0, 18, 0, 0, 0)
    assert summary(again)["MedicationRequest"] == (0, 450, 0, 0, 0)
    assert summary(again)["Practitioner"] == (0, 202, 0, 0, 0)
    assert summary(again)["PractitionerRole"] == (0, 47, 0, 0, 0)
    assert sum(c.imported for c in again.values()) == 0
    assert [p.version for p in await every_patient(carehub)] == [p.version for p in patients]
    assert await stored_medications(carehub) == medications
    assert await stored_doctors(carehub) == 149


async def test_the_import_is_audited_as_the_system_actor_and_the_trail_holds(
    carehub: Carehub,
) -> None:
    path = bundle_files([shared_data("synthea", "smart-on-fhir-r4-synthea")])[-1]
    await carehub.fhir_import.import_bundle(bundle_of(path), actor=IMPORTER)
    page = await carehub.audit.search(
        actor=ADMIN, criteria=AuditFilter(actor_id=IMPORTER.id), cursor=None, limit=200
    )
    actions = Counter(entry.action for entry in page.items)
    assert actions["patient.import"] == 1
    assert actions["medication.start"] >= 1
    assert {entry.actor_role for entry in page.items} == {"system"}
    assert (await carehub.audit.verify()).intact


@pytest.mark.parametrize("store", [pytest.param("dynamodb", marks=pytest.mark.aws)])
async def test_a_synthea_patient_is_imported_on_dynamodb_unit_by_unit(carehub: Carehub) -> None:
    """DynamoDB's transactions hold 100 items: a bundle's writes are many small units (two
    patients, or two of one patient's medications, each), and the second import finds them."""
    folder = shared_data("synthea", "smart-on-fhir-r4-synthea")
    bundle = bundle_of(folder / "Erminia_Ondricka_eb9b0a98-5282-4e6b-8d6f-fb64d37f2d23.json")
    first = (await carehub.fhir_import.import_bundle(bundle, actor=IMPORTER)).counts()
    assert summary(first)["Patient"] == (1, 0, 0, 0, 0)
    assert summary(first)["AllergyIntolerance"] == (7, 0, 0, 0, 0)
    assert summary(first)["MedicationRequest"] == (7, 0, 0, 0, 0)
    again = (await carehub.fhir_import.import_bundle(bundle, actor=IMPORTER)).counts()
    assert summary(again)["Patient"] == (0, 1, 0, 0, 0)
    assert summary(again)["AllergyIntolerance"] == (0, 7, 0, 0, 0)
    assert summary(again)["MedicationRequest"] == (0, 7, 0, 0, 0)
    statuses = await stored_medications(carehub)
    assert sum(statuses.values()) == 7
