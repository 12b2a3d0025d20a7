"""HTTP routes for medications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from carehub.clinical.api.item_http import (
    Cursor,
    IdempotencyKey,
    Limit,
    OptionalIfMatch,
    item_response,
    optional_version,
    page_json,
)
from carehub.clinical.medications import Medication, MedicationStatus
from carehub.clinical.schemas.item_wire import ReasonRequest, history_json
from carehub.clinical.schemas.medications import (
    MedicationCreate,
    MedicationHistory,
    MedicationPage,
    MedicationRead,
    MedicationStartedRead,
    medication_json,
    started_json,
)
from carehub.clinical.service.medications import MedicationService, Started
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.pagination import DEFAULT_LIMIT
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.etag import NOT_MODIFIED, IfNoneMatch, conditional
from carehub.web.idempotency import Idempotency, idempotent
from carehub.web.problems import error_responses
from carehub.web.wire import json_response

router = APIRouter(
    prefix="/patients/{patient_id}/medications",
    tags=["medications"],
    dependencies=REQUIRE_TOKEN,
    responses=error_responses(401, 404, 422),
)
Medications = Annotated[MedicationService, Depends(use_case(MedicationService))]


def _render(medication: Medication) -> Response:
    return item_response(medication_json(medication), medication.version)


def _created(started: Started) -> Response:
    medication = started.medication
    location = f"/patients/{medication.patient_id}/medications/{medication.id}"
    return item_response(started_json(started), medication.version, 201, location)


@router.post(
    "",
    status_code=201,
    response_model=MedicationStartedRead,
    responses=error_responses(403, 409),
)
async def start_medication(
    request: Request,
    actor: CurrentActor,
    medications: Medications,
    store: Idempotency,
    patient_id: str,
    body: MedicationCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Start a medication (doctors, who prescribe it unless `prescriberId` says otherwise,
    and admins, who name the prescriber). A code already active for the patient is a
    warning in `warnings`, not a refusal."""

    async def run(claim: IdempotencyClaim | None) -> Response:
        started = await medications.start(
            actor=actor, patient_id=patient_id, draft=body.to_draft(), idempotency=claim
        )
        return _created(started)

    async def rebuild(medication_id: str) -> Response:
        medication = await medications.get(
            actor=actor, patient_id=patient_id, item_id=medication_id
        )
        return _created(Started(medication, []))

    return await idempotent(
        request, store=store, actor=actor, key=idempotency_key, run=run, rebuild=rebuild
    )


@router.get("", response_model=MedicationPage)
async def list_medications(
    actor: CurrentActor,
    medications: Medications,
    patient_id: str,
    status: Annotated[
        list[MedicationStatus] | None, Query(description="`active`: the active list")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """The patient's medications, newest first; `?status=active` for the active list."""
    page = await medications.list_for_patient(
        actor=actor,
        patient_id=patient_id,
        statuses=None if not status else {s.value for s in status},
        cursor=cursor,
        limit=limit,
    )
    return json_response(page_json(page, medication_json))


@router.get("/{medication_id}", response_model=MedicationRead, responses=NOT_MODIFIED)
async def read_medication(
    actor: CurrentActor,
    medications: Medications,
    patient_id: str,
    medication_id: str,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One medication; the ETag is its version (304 when If-None-Match names it)."""
    medication = await medications.get(actor=actor, patient_id=patient_id, item_id=medication_id)
    return conditional(_render(medication), if_none_match)


@router.post(
    "/{medication_id}/stop",
    response_model=MedicationRead,
    responses=error_responses(403, 409, 412),
)
async def stop_medication(
    actor: CurrentActor,
    medications: Medications,
    patient_id: str,
    medication_id: str,
    body: ReasonRequest,
    if_match: OptionalIfMatch = None,
) -> Response:
    """Stop an active medication early, with a reason (doctors and admins)."""
    medication = await medications.stop(
        actor=actor,
        patient_id=patient_id,
        medication_id=medication_id,
        reason=body.reason,
        if_version=optional_version(if_match),
    )
    return _render(medication)


@router.post(
    "/{medication_id}/complete",
    response_model=MedicationRead,
    responses=error_responses(403, 409, 412),
)
async def complete_medication(
    actor: CurrentActor,
    medications: Medications,
    patient_id: str,
    medication_id: str,
    if_match: OptionalIfMatch = None,
) -> Response:
    """Mark an active medication's course as run (doctors and admins)."""
    medication = await medications.complete(
        actor=actor,
        patient_id=patient_id,
        medication_id=medication_id,
        if_version=optional_version(if_match),
    )
    return _render(medication)


@router.get("/{medication_id}/history", response_model=MedicationHistory)
async def medication_history(
    actor: CurrentActor, medications: Medications, patient_id: str, medication_id: str
) -> Response:
    """Every version of the medication, oldest first, with who changed it, when and why."""
    revisions = await medications.history(actor=actor, patient_id=patient_id, item_id=medication_id)
    return json_response(history_json(revisions, "medication", medication_json))
