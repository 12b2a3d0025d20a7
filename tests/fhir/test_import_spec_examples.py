"""The FHIR R4 specification's own examples of Patient, Condition, MedicationStatement and
Practitioner, imported in one batch: each is stored, or refused (or skipped) with an error
(a reason) that says why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from carehub.bootstrap import Carehub
from carehub.fhir.import_report import EntryOutcome, EntryStatus
from tests.fhir.import_world import (
    ADMIN,
    IMPORTER,
    built_carehub,  # noqa: F401 (the `carehub` fixture)
    each_store,  # noqa: F401 (the `store` fixture)
)
from tests.support.shared_data import shared_data

TYPES = ("Patient", "Condition", "MedicationStatement", "Practitioner")


def examples() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(shared_data("fhir-examples").glob("*.json")):
        resource = orjson.loads(path.read_bytes())
        if resource["resourceType"] in TYPES:
            found.append((path.name, resource))
    return found


def batch_of(resources: list[dict[str, Any]]) -> dict[str, Any]:
    entries = [
        {
            "fullUrl": f"urn:uuid:example-{index}",
            "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"]},
        }
        for index, resource in enumerate(resources)
    ]
    return {"resourceType": "Bundle", "type": "batch", "entry": entries}


def explained(outcome: EntryOutcome) -> bool:
    """Stored where it says, or not with a reason or an error naming what is wrong."""
    if outcome.status in (EntryStatus.IMPORTED, EntryStatus.PRESENT):
        return outcome.location is not None
    if outcome.status is EntryStatus.SKIPPED:
        return bool(outcome.reason)
    error = outcome.error
    return error is not None and bool(error.detail) and all(e.field for e in error.errors)


async def test_each_spec_example_is_stored_or_refused_with_its_reason(
    carehub: Carehub, tmp_path: Path
) -> None:
    await carehub.countries.load_shipped(actor=ADMIN)
    named = examples()
    assert len(named) == 23 + 12 + 7 + 14
    # The examples' addresses name no country, or one carehub has no record of: all go to
    # one, as `carehub import fhir --country US` sends them.
    report = await carehub.fhir_import.import_bundle(
        batch_of([resource for _, resource in named]), actor=IMPORTER, country_id="US"
    )
    outcomes = dict(zip((name for name, _ in named), report.entries, strict=True))
    unexplained = [name for name, outcome in outcomes.items() if not explained(outcome)]
    assert unexplained == []

    def status(name: str) -> EntryStatus:
        return outcomes[name].status

    def fields(name: str) -> list[str]:
        error = outcomes[name].error
        return [] if error is None else [e.field for e in error.errors]

    # Stored: Peter Chalmers, whose conditions then refer to him by his id in the bundle.
    assert status("patient-example.json") is EntryStatus.IMPORTED
    assert status("condition-example.json") is EntryStatus.IMPORTED
    assert outcomes["condition-example.json"].location == outcomes["patient-example.json"].location
    assert status("practitioner-example.json") is EntryStatus.IMPORTED
    # Refused, saying why: a modifier extension, a patient without a name.
    assert fields("json-edge-cases.json") == ["modifierExtension"]
    assert fields("patient-example-newborn.json") == ["name"]
    # Skipped, saying why: what no longer holds, or never held; a medication the patient
    # reports (carehub keeps who prescribed one).
    assert outcomes["condition-example-f201-fever.json"].reason == (
        "clinicalStatus resolved: carehub keeps current conditions only"
    )
    assert outcomes["medicationstatementexample5.json"].reason == (
        "status entered-in-error: carehub keeps active, stopped and completed ones"
    )
    assert outcomes["medicationstatementexample1.json"].reason == (
        "no practitioner prescribed it (carehub keeps a medication's prescriber)"
    )
