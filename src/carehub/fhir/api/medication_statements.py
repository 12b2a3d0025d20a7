"""`/fhir/R4/MedicationStatement`: a patient's medications, through the medication use
cases (read, every version, search; create starts one, update stops or completes it).

carehub's medications have no category: the record says what a patient takes, not where
(in hospital, at home), so `category` is not a search parameter: no answer would be true.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, Query
from starlette.responses import Response

from carehub.clinical.errors import ChangedMeanwhile
from carehub.clinical.medications import Medication, MedicationStatus
from carehub.clinical.service.medications import ACTIVE, MedicationService
from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.item_versions import VersionId, history_of, version_of
from carehub.fhir.api.paging import search_response
from carehub.fhir.api.parameters import (
    Count,
    Cursor,
    DateParam,
    IfMatch,
    IfNoneExist,
    PatientParam,
    ResourceId,
    TokenParam,
)
from carehub.fhir.api.responses import fhir_errors, fhir_ok, version_in, versioned_response
from carehub.fhir.if_none_exist import MedicationCondition, medication_condition
from carehub.fhir.medication_update import Transition, requested_update
from carehub.fhir.resources.medication import medication_statement_resource as resource
from carehub.fhir.resources.patient import patient_resource
from carehub.fhir.schemas.medication_statement_write import MedicationStatementWrite
from carehub.fhir.search_params import (
    codes,
    count_of,
    date_ranges,
    invalid,
    searched_patient,
)
from carehub.fhir.wire import FHIR_JSON
from carehub.kernel.actor import Actor
from carehub.kernel.errors import PreconditionFailed
from carehub.kernel.pagination import MAX_LIMIT
from carehub.patients.service import PatientService
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import AppClock, use_case

TYPE = "MedicationStatement"
INCLUDE_PATIENT = f"{TYPE}:patient"
router = fhir_router(f"/{TYPE}", 422)
Medications = Annotated[MedicationService, Depends(use_case(MedicationService))]
Patients = Annotated[PatientService, Depends(use_case(PatientService))]
Statement = Annotated[MedicationStatementWrite, Body(media_type=FHIR_JSON)]
# carehub's statuses are MedicationStatement's own codes; it has no others.
_STATUSES = {s.value: s.value for s in MedicationStatus}
# Pages of a patient's active medications read for a conditional create: a patient has a
# few dozen at most, so the bound (the use case's own for its duplicate warning) keeps
# the reads finite without ever being reached.
_ACTIVE_PAGES = 10


@router.get("/{medication_id}", responses={**fhir_ok("A MedicationStatement"), **fhir_errors(404)})
async def read_medication_statement(
    actor: CurrentActor, medications: Medications, medication_id: ResourceId
) -> Response:
    """One medication; its ETag is `W/"<version>"`."""
    medication = await medications.get_by_id(actor=actor, item_id=medication_id)
    return versioned_response(resource(medication), medication.version)


@router.get(
    "/{medication_id}/_history",
    responses={**fhir_ok("A history Bundle of MedicationStatements"), **fhir_errors(404)},
)
async def medication_statement_history(
    actor: CurrentActor,
    medications: Medications,
    clock: AppClock,
    base: FhirBase,
    medication_id: ResourceId,
) -> Response:
    """Every version of the medication (started, then stopped or completed), newest first."""
    revisions = await medications.history_by_id(actor=actor, item_id=medication_id)
    return history_of(revisions, resource, base=base, path=f"{TYPE}/{medication_id}", clock=clock)


@router.get(
    "/{medication_id}/_history/{version}",
    responses={**fhir_ok("One version of a MedicationStatement"), **fhir_errors(404)},
)
async def read_medication_statement_version(
    actor: CurrentActor, medications: Medications, medication_id: ResourceId, version: VersionId
) -> Response:
    """The medication as it stood at one version."""
    revisions = await medications.history_by_id(actor=actor, item_id=medication_id)
    return version_of(revisions, version, resource)


@router.get(
    "",
    responses={**fhir_ok("A searchset Bundle of MedicationStatements"), **fhir_errors(404)},
)
async def search_medication_statements(
    actor: CurrentActor,
    medications: Medications,
    patients: Patients,
    clock: AppClock,
    base: FhirBase,
    patient: PatientParam = None,
    status: TokenParam = None,
    date: DateParam = None,
    include: Annotated[str | None, Query(alias="_include", max_length=64)] = None,
    count: Count = None,
    cursor: Cursor = None,
) -> Response:
    """One patient's medications, newest first: by `status` (active, stopped, completed)
    and `date` (when the course starts); `_include=MedicationStatement:patient` adds the
    Patient."""
    patient_id = searched_patient(actor, patient)
    statuses = None if status is None else set(codes("status", status, _STATUSES))
    ranges = date_ranges("date", date)
    if include is not None and include != INCLUDE_PATIENT:
        raise invalid("_include", f"must be {INCLUDE_PATIENT}")
    limit = count_of(count)
    page = await medications.list_for_patient(
        actor=actor, patient_id=patient_id, statuses=statuses, cursor=cursor, limit=limit
    )
    matches = [m for m in page.items if all(r.admits_day(m.start) for r in ranges)]
    included: list[dict[str, Any]] = []
    if include is not None and matches:
        included.append(patient_resource(await patients.get(actor=actor, patient_id=patient_id)))
    sent = [("patient", patient), ("status", status), ("_include", include)]
    return search_response(
        base=base,
        path=TYPE,
        parameters=[(k, v) for k, v in sent if v is not None] + [("date", d) for d in date or []],
        count=limit,
        cursor=cursor,
        next_cursor=page.next_cursor,
        matches=[resource(m) for m in matches],
        included=included,
        clock=clock,
    )


@router.post(
    "",
    status_code=201,
    responses={
        **fhir_ok("The MedicationStatement started", 201),
        **fhir_ok("The active MedicationStatement that already matched If-None-Exist"),
        **fhir_errors(400, 403, 404, 409, 412, 422),
    },
)
async def create_medication_statement(
    actor: CurrentActor,
    medications: Medications,
    base: FhirBase,
    body: Statement,
    if_none_exist: IfNoneExist = None,
) -> Response:
    """Start a medication (doctors, who prescribe it unless `informationSource` names
    another practitioner, and admins, who name one): status `active`; its code is one
    of RxNorm, ATC, SNOMED CT or NDC. With `If-None-Exist: patient=<id>&code=<system>|<code>`
    (the statement's own), the patient's active medication of that code is answered (200)
    instead of a second started."""
    statement = body.statement()
    if statement.status != MedicationStatus.ACTIVE.value:
        raise invalid("status", "is active: a medication is recorded as it starts")
    if statement.reason is not None:
        raise invalid("statusReason", "is given only when a medication is stopped")
    if if_none_exist is not None:
        condition = medication_condition(if_none_exist, statement)
        found = await _active_with_code(medications, actor, condition)
        if found is not None:
            return _created(found, base, 200)
    started = await medications.start(
        actor=actor, patient_id=statement.patient_id, draft=statement.draft
    )
    return _created(started.medication, base, 201)


@router.put(
    "/{medication_id}",
    responses={
        **fhir_ok("The MedicationStatement as it now stands"),
        **fhir_errors(400, 403, 404, 409, 412, 422, 428),
    },
)
async def update_medication_statement(
    actor: CurrentActor,
    medications: Medications,
    medication_id: ResourceId,
    body: Statement,
    if_match: IfMatch = None,
) -> Response:
    """Stop the medication (status `stopped` with a `statusReason`) or complete it
    (`completed`); `If-Match` names the version read. Nothing else of it changes."""
    version = version_in(if_match)
    current = await medications.get_by_id(actor=actor, item_id=medication_id)
    update = requested_update(current, body.statement())
    changed = await _apply(medications, actor, current, update.transition, update.reason, version)
    return versioned_response(resource(changed), changed.version)


async def _apply(
    medications: MedicationService,
    actor: Actor,
    current: Medication,
    transition: Transition,
    reason: str | None,
    version: int,
) -> Medication:
    match transition:
        case Transition.STOP:
            return await medications.stop(
                actor=actor,
                patient_id=current.patient_id,
                medication_id=current.id,
                reason=reason or "",
                if_version=version,
            )
        case Transition.COMPLETE:
            return await medications.complete(
                actor=actor,
                patient_id=current.patient_id,
                medication_id=current.id,
                if_version=version,
            )
        case _:
            if version != current.version:
                raise ChangedMeanwhile()
            return current


async def _active_with_code(
    medications: MedicationService, actor: Actor, condition: MedicationCondition
) -> Medication | None:
    """The patient's one active medication with the code (412 if there are several)."""
    found: list[Medication] = []
    cursor: str | None = None
    for _ in range(_ACTIVE_PAGES):
        page = await medications.list_for_patient(
            actor=actor,
            patient_id=condition.patient_id,
            statuses=ACTIVE,
            cursor=cursor,
            limit=MAX_LIMIT,
        )
        found += [m for m in page.items if m.code == condition.code]
        cursor = page.next_cursor
        if cursor is None or len(found) > 1:
            break
    if len(found) > 1:
        raise PreconditionFailed("If-None-Exist matches more than one active medication")
    return found[0] if found else None


def _created(medication: Medication, base: str, status: int) -> Response:
    return versioned_response(
        resource(medication),
        medication.version,
        status=status,
        location=f"{base}/{TYPE}/{medication.id}/_history/{medication.version}",
    )
