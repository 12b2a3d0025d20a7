"""Condition and AllergyIntolerance: the coded entries of a patient's record, read through
the patient use case (the same gate and audit entry as reading the patient)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Query
from starlette.responses import Response

from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.paging import offset_page, search_response
from carehub.fhir.api.responses import fhir_errors, fhir_ok, fhir_response
from carehub.fhir.resources.condition import (
    EntryKind,
    allergy_resource,
    allergy_resources,
    condition_resource,
    condition_resources,
    find_entry,
    parse_allergy_id,
    parse_condition_id,
)
from carehub.fhir.resources.patient import patient_resource
from carehub.fhir.search_params import MAX_COUNT, DateRange, Token, count_of, includes, reference_id
from carehub.kernel.actor import Actor
from carehub.kernel.errors import NotFound
from carehub.patients.model import Patient
from carehub.patients.service import PatientService
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import AppClock, use_case

router = fhir_router()
Patients = Annotated[PatientService, Depends(use_case(PatientService))]
ONE = {**fhir_ok("The resource"), **fhir_errors(404, 422)}
MANY = {**fhir_ok("A searchset Bundle"), **fhir_errors(404, 422)}
PatientParam = Annotated[str, Query(max_length=80, description="Patient/<id> or <id>")]
DateParam = Annotated[list[str] | None, Query(max_length=2, description="recorded date")]
Count = Annotated[int | None, Query(alias="_count", ge=1, le=10 * MAX_COUNT)]
Include = Annotated[list[str] | None, Query(alias="_include", max_length=1)]
Cursor = Annotated[str | None, Query(alias="_cursor", max_length=512)]
PROBLEM_LIST = "problem-list-item"


@router.get("/Condition/{condition_id}", responses=ONE)
async def read_condition(actor: CurrentActor, patients: Patients, condition_id: str) -> Response:
    """One condition of a patient's record."""
    return await _read_entry(actor, patients, "condition", condition_id)


@router.get("/AllergyIntolerance/{allergy_id}", responses=ONE)
async def read_allergy(actor: CurrentActor, patients: Patients, allergy_id: str) -> Response:
    """One allergy of a patient's record."""
    return await _read_entry(actor, patients, "allergy", allergy_id)


async def _read_entry(
    actor: Actor, patients: PatientService, kind: EntryKind, resource_id: str
) -> Response:
    parse, render = _ENTRY_KINDS[kind]
    parsed = parse(resource_id)
    if parsed is None:
        raise NotFound(f"No {kind} {resource_id}")
    patient = await patients.get(actor=actor, patient_id=parsed[0])
    entry = find_entry(patient, kind, parsed[1])
    if entry is None:
        raise NotFound(f"No {kind} {resource_id}")
    return fhir_response(render(patient, entry))


_ENTRY_KINDS = {
    "condition": (parse_condition_id, condition_resource),
    "allergy": (parse_allergy_id, allergy_resource),
}


@router.get("/Condition", responses=MANY)
async def search_conditions(
    actor: CurrentActor,
    patients: Patients,
    clock: AppClock,
    base: FhirBase,
    patient: PatientParam,
    category: Annotated[str | None, Query(max_length=300)] = None,
    date: DateParam = None,
    include: Include = None,
    count: Count = None,
    cursor: Cursor = None,
) -> Response:
    """A patient's conditions (every one is a `problem-list-item`), by recorded date."""
    wanted = includes(include, ("Condition:patient",))
    if category is not None and Token.parse("category", category).code != PROBLEM_LIST:
        return await _entries(
            actor, patients, clock, base, patient, None, "Condition", [], count, cursor
        )
    sent = [*([("category", category)] if category else []), *_dates(date), *_inc(wanted)]
    return await _entries(
        actor,
        patients,
        clock,
        base,
        patient,
        condition_resources,
        "Condition",
        sent,
        count,
        cursor,
        dates=date,
        include=bool(wanted),
    )


@router.get("/AllergyIntolerance", responses=MANY)
async def search_allergies(
    actor: CurrentActor,
    patients: Patients,
    clock: AppClock,
    base: FhirBase,
    patient: PatientParam,
    date: DateParam = None,
    include: Include = None,
    count: Count = None,
    cursor: Cursor = None,
) -> Response:
    """A patient's allergies."""
    wanted = includes(include, ("AllergyIntolerance:patient",))
    sent = [*_dates(date), *_inc(wanted)]
    return await _entries(
        actor,
        patients,
        clock,
        base,
        patient,
        allergy_resources,
        "AllergyIntolerance",
        sent,
        count,
        cursor,
        dates=date,
        include=bool(wanted),
    )


async def _entries(
    actor: Actor,
    patients: PatientService,
    clock: AppClock,
    base: str,
    patient: str,
    of: Callable[[Patient], list[dict[str, Any]]] | None,
    path: str,
    sent: list[tuple[str, str]],
    count: int | None,
    cursor: str | None = None,
    *,
    dates: list[str] | None = None,
    include: bool = False,
) -> Response:
    """One patient's entries on one page (a record holds few)."""
    patient_id = reference_id("patient", patient, "Patient")
    try:
        record = await patients.get(actor=actor, patient_id=patient_id)
    except NotFound:
        record = None
    ranges = [DateRange.parse("date", d) for d in dates or []]
    found: list[dict[str, Any]] = []
    if record is not None and of is not None:
        recorded = record.created_at
        if all(r.admits(recorded) for r in ranges):
            found = of(record)
    limit = count_of(count)
    page, following = offset_page(found, limit, cursor)
    return search_response(
        base=base,
        path=path,
        parameters=[("patient", patient), *sent],
        count=limit,
        cursor=cursor,
        next_cursor=following,
        matches=page,
        included=[patient_resource(record)] if include and record is not None and found else [],
        clock=clock,
    )


def _dates(values: list[str] | None) -> list[tuple[str, str]]:
    return [("date", d) for d in values or []]


def _inc(wanted: set[str]) -> list[tuple[str, str]]:
    return [("_include", i) for i in sorted(wanted)]
