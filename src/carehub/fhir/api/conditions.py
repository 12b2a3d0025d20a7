"""Condition and AllergyIntolerance: the coded entries of a patient's record, read through
the patient use case (the same gate and audit entry as reading the patient)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
from carehub.kernel.clock import Clock
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


@dataclass(frozen=True)
class EntrySearch:
    """What a search of one patient's conditions or allergies takes (a record holds few:
    they are read whole, then paged)."""

    actor: Actor
    patients: PatientService
    clock: Clock
    base: str
    patient: str
    dates: list[str] | None
    include: list[str] | None
    count: int | None
    cursor: str | None

    async def answer(
        self,
        kind: EntryKind,
        extra: list[tuple[str, str]] | None = None,
        *,
        matching: bool = True,
    ) -> Response:
        """The page of the patient's entries of `kind` (none unless `matching`), with the
        patient when `_include` asks for it."""
        path, of = _SEARCHED[kind]
        wanted = includes(self.include, (f"{path}:patient",))
        patient_id = reference_id("patient", self.patient, "Patient")
        try:
            record: Patient | None = await self.patients.get(
                actor=self.actor, patient_id=patient_id
            )
        except NotFound:
            record = None
        ranges = [DateRange.parse("date", d) for d in self.dates or []]
        found: list[dict[str, Any]] = []
        if record is not None and matching and all(r.admits(record.created_at) for r in ranges):
            found = of(record)
        limit = count_of(self.count)
        page, following = offset_page(found, limit, self.cursor)
        sent = [
            ("patient", self.patient),
            *(extra or []),
            *[("date", d) for d in self.dates or []],
            *[("_include", i) for i in sorted(wanted)],
        ]
        return search_response(
            base=self.base,
            path=path,
            parameters=sent,
            count=limit,
            cursor=self.cursor,
            next_cursor=following,
            matches=page,
            included=[patient_resource(record)] if wanted and record is not None and found else [],
            clock=self.clock,
        )

    async def _record(self) -> Patient | None:
        """The patient searched, or None when they are not there for this actor."""
        patient_id = reference_id("patient", self.patient, "Patient")
        try:
            return await self.patients.get(actor=self.actor, patient_id=patient_id)
        except NotFound:
            return None


async def entry_search(
    actor: CurrentActor,
    patients: Patients,
    clock: AppClock,
    base: FhirBase,
    patient: PatientParam,
    date: DateParam = None,
    include: Include = None,
    count: Count = None,
    cursor: Cursor = None,
) -> EntrySearch:
    return EntrySearch(actor, patients, clock, base, patient, date, include, count, cursor)


Searched = Annotated[EntrySearch, Depends(entry_search)]
_SEARCHED: dict[EntryKind, tuple[str, Callable[[Patient], list[dict[str, Any]]]]] = {
    "condition": ("Condition", condition_resources),
    "allergy": ("AllergyIntolerance", allergy_resources),
}


@router.get("/Condition", responses=MANY)
async def search_conditions(
    search: Searched, category: Annotated[str | None, Query(max_length=300)] = None
) -> Response:
    """A patient's conditions (every one is a `problem-list-item`), by recorded date."""
    if category is None:
        return await search.answer("condition")
    matching = Token.parse("category", category).code == PROBLEM_LIST
    return await search.answer("condition", [("category", category)], matching=matching)


@router.get("/AllergyIntolerance", responses=MANY)
async def search_allergies(search: Searched) -> Response:
    """A patient's allergies."""
    return await search.answer("allergy")
