"""`/fhir/R4/Patient`: read and search, through the patient use cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query
from starlette.responses import Response

from carehub.clinical.service.checklists import ChecklistService
from carehub.clinical.service.medications import MedicationService
from carehub.clinical.service.notes import NoteService
from carehub.clinical.service.tasks import TaskService
from carehub.documents.service import DocumentService
from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.paging import search_response
from carehub.fhir.api.responses import (
    fhir_errors,
    fhir_ok,
    fhir_response,
    versioned_response,
)
from carehub.fhir.bundles import history, search_url
from carehub.fhir.everything import RecordSources
from carehub.fhir.patient_search import PatientSearch, find_patients
from carehub.fhir.resources.patient import patient_resource
from carehub.fhir.search_params import MAX_COUNT, count_of
from carehub.patients.search_service import PatientSearchService
from carehub.patients.service import PatientService
from carehub.scheduling.service import AppointmentService
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import AppClock, use_case

router = fhir_router("/Patient")
Patients = Annotated[PatientService, Depends(use_case(PatientService))]


async def record_sources(
    patients: Patients,
    appointments: Annotated[AppointmentService, Depends(use_case(AppointmentService))],
    medications: Annotated[MedicationService, Depends(use_case(MedicationService))],
    notes: Annotated[NoteService, Depends(use_case(NoteService))],
    tasks: Annotated[TaskService, Depends(use_case(TaskService))],
    checklists: Annotated[ChecklistService, Depends(use_case(ChecklistService))],
    documents: Annotated[DocumentService, Depends(use_case(DocumentService))],
) -> RecordSources:
    return RecordSources(patients, appointments, medications, notes, tasks, checklists, documents)


Sources = Annotated[RecordSources, Depends(record_sources)]
Searching = Annotated[PatientSearchService, Depends(use_case(PatientSearchService))]
Text = Annotated[str | None, Query(max_length=200)]


@router.get("/{patient_id}", responses={**fhir_ok("A FHIR R4 Patient"), **fhir_errors(404, 422)})
async def read_patient(actor: CurrentActor, patients: Patients, patient_id: str) -> Response:
    """Read one patient (inactive ones too); its ETag is `W/"<version>"`."""
    patient = await patients.get(actor=actor, patient_id=patient_id)
    return versioned_response(patient_resource(patient), patient.version)


@router.get(
    "/{patient_id}/_history/{version_id}",
    responses={**fhir_ok("One version of a FHIR R4 Patient"), **fhir_errors(404, 422)},
)
async def read_patient_version(
    actor: CurrentActor,
    patients: Patients,
    patient_id: str,
    version_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    """The patient's record as it stood at one version (vread)."""
    patient = await patients.version(actor=actor, patient_id=patient_id, version=version_id)
    return versioned_response(patient_resource(patient), patient.version)


@router.get(
    "/{patient_id}/_history",
    responses={**fhir_ok("A history Bundle of the Patient's versions"), **fhir_errors(404, 422)},
)
async def patient_history(
    actor: CurrentActor,
    patients: Patients,
    clock: AppClock,
    base: FhirBase,
    patient_id: str,
    count: Annotated[int | None, Query(alias="_count", ge=1, le=10 * MAX_COUNT)] = None,
    cursor: Annotated[str | None, Query(alias="_cursor", max_length=512)] = None,
) -> Response:
    """Every kept version of the record, newest first."""
    limit = count_of(count)
    page = await patients.history(actor=actor, patient_id=patient_id, cursor=cursor, limit=limit)
    path = f"Patient/{patient_id}/_history"
    here = [("_count", str(limit)), *([("_cursor", cursor)] if cursor else [])]
    following = None
    if page.next_cursor is not None:
        following = search_url(base, path, [("_count", str(limit)), ("_cursor", page.next_cursor)])
    bundle = history(
        base=base,
        self_url=search_url(base, path, here),
        next_url=following,
        versions=[patient_resource(p) for p in page.items],
        clock=clock,
    )
    return fhir_response(bundle)


@router.get(
    "/{patient_id}/$everything",
    responses={**fhir_ok("A searchset Bundle of the patient's record"), **fhir_errors(404, 422)},
)
async def everything(
    actor: CurrentActor,
    sources: Sources,
    clock: AppClock,
    base: FhirBase,
    patient_id: str,
    count: Annotated[int | None, Query(alias="_count", ge=1, le=10 * MAX_COUNT)] = None,
    cursor: Annotated[str | None, Query(alias="_cursor", max_length=1024)] = None,
) -> Response:
    """The patient's whole record (conditions, allergies, appointments, medications,
    notes, tasks, checklists, files), a page at a time; every part read is audited."""
    limit = count_of(count)
    found, following = await sources.page(actor, patient_id, cursor, limit)
    return search_response(
        base=base,
        path=f"Patient/{patient_id}/$everything",
        parameters=[],
        count=limit,
        cursor=cursor,
        next_cursor=following,
        matches=found,
        clock=clock,
    )


@router.get("", responses={**fhir_ok("A searchset Bundle of Patients"), **fhir_errors(422)})
async def search_patients(
    actor: CurrentActor,
    patients: Patients,
    searching: Searching,
    clock: AppClock,
    base: FhirBase,
    id_: Annotated[str | None, Query(alias="_id", max_length=64)] = None,
    identifier: Annotated[str | None, Query(max_length=520, description="system|value")] = None,
    name: Text = None,
    family: Text = None,
    given: Text = None,
    birthdate: Annotated[str | None, Query(max_length=32, description="YYYY-MM-DD")] = None,
    gender: Annotated[str | None, Query(max_length=16)] = None,
    address_city: Annotated[str | None, Query(alias="address-city", max_length=100)] = None,
    phone: Annotated[str | None, Query(max_length=64)] = None,
    email: Annotated[str | None, Query(max_length=254)] = None,
    count: Annotated[int | None, Query(alias="_count", ge=1, le=10 * MAX_COUNT)] = None,
    cursor: Annotated[str | None, Query(alias="_cursor", max_length=512)] = None,
) -> Response:
    """Search patients: every parameter given must match (strings by prefix, any accents
    or case); `_count` a page (at most 100), the `next` link for the next."""
    search = PatientSearch.of(
        id_=id_,
        identifier=identifier,
        name=name,
        family=family,
        given=given,
        birthdate=birthdate,
        gender=gender,
        address_city=address_city,
        phone=phone,
        email=email,
        today=clock.now().date(),
    )
    limit = count_of(count)
    page = await find_patients(
        search, actor=actor, patients=patients, searching=searching, limit=limit, cursor=cursor
    )
    return search_response(
        base=base,
        path="Patient",
        parameters=search.parameters(),
        count=limit,
        cursor=cursor,
        next_cursor=page.next_cursor,
        matches=[patient_resource(p) for p in page.items],
        clock=clock,
    )
