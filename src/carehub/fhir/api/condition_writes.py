"""`POST /fhir/R4/Condition` and `POST /fhir/R4/AllergyIntolerance`: an entry added to
the patient's record through the patient use case (a revision of the record, with its
event and audit entry).

A condition the record already holds (the same code, or the same text) is not added twice:
the create answers 200 with the one held, which makes every create conditional on the
entry itself. Only what holds now is kept (an active, not refuted condition): anything
else is refused with the reason, since the record has no place for a past condition.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends
from starlette.responses import Response

from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.responses import fhir_errors, fhir_ok, fhir_response
from carehub.fhir.resources.condition import (
    EntryKind,
    allergy_resource,
    condition_resource,
    entry_key,
)
from carehub.fhir.schemas.conditions import coded_entry, read_allergy, read_condition
from carehub.fhir.search_params import reference_id
from carehub.fhir.wire import FHIR_JSON
from carehub.kernel.actor import Actor
from carehub.kernel.errors import FieldError, Invalid, PreconditionFailed
from carehub.patients.model import CodedEntry, Patient, PatientChanges
from carehub.patients.service import PatientService
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import use_case

router = fhir_router()
Patients = Annotated[PatientService, Depends(use_case(PatientService))]
Resource = Annotated[dict[str, Any], Body(media_type=FHIR_JSON)]
CREATED = {
    **fhir_ok("The entry added", 201),
    **fhir_ok("The entry the record already held"),
    **fhir_errors(400, 403, 404, 412, 422),
}
_ATTEMPTS = 3  # a concurrent change of the record moves its version: read it again


@router.post("/Condition", status_code=201, responses=CREATED)
async def create_condition(
    actor: CurrentActor, patients: Patients, base: FhirBase, body: Resource
) -> Response:
    """Add a current condition to the patient its `subject` names."""
    condition = read_condition(body)
    _check_kept(condition.why_not_kept())
    subject = condition.subject.reference or ""
    patient_id = reference_id("subject", subject, "Patient")
    return await _add(actor, patients, base, "condition", patient_id, coded_entry(condition.code))


@router.post("/AllergyIntolerance", status_code=201, responses=CREATED)
async def create_allergy(
    actor: CurrentActor, patients: Patients, base: FhirBase, body: Resource
) -> Response:
    """Add a current allergy to the patient its `patient` names."""
    allergy = read_allergy(body)
    _check_kept(allergy.why_not_kept())
    patient_id = reference_id("patient", allergy.patient.reference or "", "Patient")
    return await _add(actor, patients, base, "allergy", patient_id, coded_entry(allergy.code))


async def _add(
    actor: Actor,
    patients: PatientService,
    base: str,
    kind: EntryKind,
    patient_id: str,
    entry: CodedEntry | None,
) -> Response:
    if entry is None:
        raise Invalid("code is required", errors=[FieldError("code", "needs a coding or text")])
    key = entry_key(kind, entry)
    for attempt in range(_ATTEMPTS):
        patient = await patients.get(actor=actor, patient_id=patient_id)
        held = _entries(patient, kind)
        if any(entry_key(kind, e) == key for e in held):
            return _answer(patient, kind, entry, base, 200)
        added = (*held, entry)
        changes = (
            PatientChanges(conditions=added)
            if kind == "condition"
            else PatientChanges(allergies=added)
        )
        try:
            revised = await patients.revise(
                actor=actor, patient_id=patient_id, changes=changes, if_version=patient.version
            )
        except PreconditionFailed:
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        return _answer(revised, kind, entry, base, 201)
    raise AssertionError("unreachable")  # the loop returns or raises


def _entries(patient: Patient, kind: EntryKind) -> tuple[CodedEntry, ...]:
    d = patient.details
    return d.conditions if kind == "condition" else d.allergies


def _answer(
    patient: Patient, kind: EntryKind, entry: CodedEntry, base: str, status: int
) -> Response:
    resource = (
        condition_resource(patient, entry)
        if kind == "condition"
        else allergy_resource(patient, entry)
    )
    location = f"{base}/{resource['resourceType']}/{resource['id']}"
    return fhir_response(resource, status=status, headers={"Location": location})


def _check_kept(reason: str | None) -> None:
    if reason is not None:
        raise Invalid(reason, errors=[FieldError("clinicalStatus", reason)])
