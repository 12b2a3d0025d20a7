"""HTTP routes for patient records."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.responses import Response

from carehub.kernel.clock import Clock
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT
from carehub.kernel.text import fold, tokens
from carehub.patients.model import MAX_AGE, Patient, oldest_birth_date
from carehub.patients.ports import PatientFilter
from carehub.patients.schemas import (
    CareAssignmentCreate,
    PatientCreate,
    PatientPage,
    PatientRead,
    PatientUpdate,
    patient_json,
)
from carehub.patients.search import DEFAULT_PAGE, MAX_PAGE, MAX_QUERY
from carehub.patients.search_service import PatientSearchService
from carehub.patients.service import PatientService
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import AppClock, use_case
from carehub.web.etag import (
    NOT_MODIFIED,
    IfNoneMatch,
    conditional,
    etag_for,
    version_from_if_match,
)
from carehub.web.idempotency import Idempotency, idempotent
from carehub.web.problems import error_responses
from carehub.web.query import QueryDate

router = APIRouter(
    prefix="/patients",
    tags=["patients"],
    dependencies=REQUIRE_TOKEN,
    responses=error_responses(401),
)
Patients = Annotated[PatientService, Depends(use_case(PatientService))]
Searching = Annotated[PatientSearchService, Depends(use_case(PatientSearchService))]
MAX_NAME_WORDS = 4
# Times as pydantic writes them: UTC as "Z". Tuples are arrays; enums their values.
WIRE_JSON = orjson.OPT_UTC_Z


def _render(patient: Patient, clock: Clock, status: int = 200) -> Response:
    body = orjson.dumps(patient_json(patient, clock.now().date()), option=WIRE_JSON)
    return Response(
        body,
        status_code=status,
        media_type="application/json",
        headers={"ETag": etag_for(patient.version)},
    )


@router.post(
    "",
    status_code=201,
    response_model=PatientRead,
    responses=error_responses(400, 403, 409, 413, 422),
)
async def register_patient(
    request: Request,
    actor: CurrentActor,
    patients: Patients,
    clock: AppClock,
    store: Idempotency,
    body: PatientCreate,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    """Register a patient; a replay with the same Idempotency-Key returns the first response."""

    async def run(claim: IdempotencyClaim | None) -> Response:
        patient = await patients.register(actor=actor, draft=body.to_draft(), idempotency=claim)
        response = _render(patient, clock, 201)
        response.headers["Location"] = f"/patients/{patient.id}"
        return response

    async def rebuild(patient_id: str) -> Response:
        patient = await patients.get(actor=actor, patient_id=patient_id)
        return _render(patient, clock, 201)

    return await idempotent(
        request,
        store=store,
        actor=actor,
        key=idempotency_key,
        run=run,
        rebuild=rebuild,
    )


@router.get("", response_model=PatientPage, responses=error_responses(422))
async def list_patients(
    actor: CurrentActor,
    patients: Patients,
    clock: AppClock,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    country_id: Annotated[str | None, Query(alias="countryId", max_length=32)] = None,
    city: Annotated[str | None, Query(max_length=100)] = None,
    address: Annotated[
        str | None, Query(max_length=200, description="Contained in the address")
    ] = None,
    condition: Annotated[
        str | None, Query(max_length=200, description="Code or name prefix")
    ] = None,
    name: Annotated[
        str | None, Query(max_length=200, description="Name prefix, any accents/case")
    ] = None,
    birth_date: Annotated[
        QueryDate | None,
        Query(alias="birthDate", description=f"YYYY-MM-DD, within the last {MAX_AGE} years"),
    ] = None,
    identifier: Annotated[str | None, Query(max_length=520, description="system|value")] = None,
    include_inactive: Annotated[bool, Query(alias="includeInactive")] = False,
) -> Response:
    """List patients, filtered and cursor-paginated (ordered by id)."""
    today = clock.now().date()
    if birth_date is not None and not oldest_birth_date(today) <= birth_date <= today:
        raise Invalid(
            "birthDate is out of range",
            errors=[FieldError("birthDate", f"must be within the last {MAX_AGE} years")],
        )
    criteria = PatientFilter(
        country_id=country_id,
        city=_folded("city", city),
        address_contains=_folded("address", address),
        condition_prefix=_folded("condition", condition),
        name_prefixes=_name_prefixes(name),
        birth_date=birth_date,
        identifier=_identifier(identifier),
        include_inactive=include_inactive,
    )
    page = await patients.search(actor=actor, criteria=criteria, cursor=cursor, limit=limit)
    items = [patient_json(p, today) for p in page.items]
    body = orjson.dumps({"items": items, "nextCursor": page.next_cursor}, option=WIRE_JSON)
    return Response(body, media_type="application/json")


@router.get("/search", response_model=PatientPage, responses=error_responses(403, 422))
async def search_patients(
    actor: CurrentActor,
    searching: Searching,
    clock: AppClock,
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY,
            description="Names, MRN, identifier, phone, email, address or condition; "
            "at least 2 characters, any accents/case, one typo forgiven in long words",
        ),
    ],
    country_id: Annotated[str | None, Query(alias="countryId", max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Find active patients from one search box, best matches first."""
    page = await searching.find(actor=actor, q=q, country_id=country_id, limit=limit, cursor=cursor)
    today = clock.now().date()
    items = [patient_json(p, today) for p in page.items]
    body = orjson.dumps({"items": items, "nextCursor": page.next_cursor}, option=WIRE_JSON)
    return Response(body, media_type="application/json")


@router.get(
    "/{patient_id}",
    response_model=PatientRead,
    responses={**NOT_MODIFIED, **error_responses(404, 422)},
)
async def read_patient(
    actor: CurrentActor,
    patients: Patients,
    clock: AppClock,
    patient_id: str,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Read one patient by id, inactive ones included; the ETag is its version (304 when
    If-None-Match names it)."""
    patient = await patients.get(actor=actor, patient_id=patient_id)
    # The age in the body moves on birthdays without a new version: once it differs from
    # the age at the last change, the version no longer pins the body, so answer in full.
    today = clock.now().date()
    current = patient.age(today) == patient.age(patient.updated_at.date())
    return conditional(_render(patient, clock), if_none_match, current=current)


@router.patch(
    "/{patient_id}",
    response_model=PatientRead,
    responses=error_responses(400, 403, 404, 412, 413, 422, 428),
)
async def update_patient(
    actor: CurrentActor,
    patients: Patients,
    clock: AppClock,
    patient_id: str,
    body: PatientUpdate,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    """Change some fields (JSON merge-patch); needs If-Match with the current ETag."""
    refused = body.refused_nulls()
    if refused:
        raise Invalid(
            "These fields cannot be cleared",
            errors=[FieldError(f, "cannot be null") for f in refused],
        )
    version = version_from_if_match(if_match)
    patient = await patients.revise(
        actor=actor, patient_id=patient_id, changes=body.to_changes(), if_version=version
    )
    return _render(patient, clock)


@router.delete(
    "/{patient_id}", response_model=PatientRead, responses=error_responses(403, 404, 412, 422)
)
async def deactivate_patient(
    actor: CurrentActor, patients: Patients, clock: AppClock, patient_id: str
) -> Response:
    """Deactivate a patient: hidden from lists, still readable by id. Nothing is erased."""
    patient = await patients.deactivate(actor=actor, patient_id=patient_id)
    return _render(patient, clock)


@router.post(
    "/{patient_id}/care-team",
    status_code=204,
    responses=error_responses(403, 404, 422),
)
async def assign_care(
    actor: CurrentActor, patients: Patients, patient_id: str, body: CareAssignmentCreate
) -> Response:
    """Put a practitioner in the patient's care team (staff of the country, admins).

    Doctors see the patients in their care; appointments will add them too.
    """
    await patients.assign_care(
        actor=actor, patient_id=patient_id, practitioner_id=body.practitioner_id
    )
    return Response(status_code=204)


@router.delete(
    "/{patient_id}/care-team/{practitioner_id}",
    status_code=204,
    responses=error_responses(403, 404, 422),
)
async def unassign_care(
    actor: CurrentActor, patients: Patients, patient_id: str, practitioner_id: str
) -> Response:
    """Take a practitioner out of the patient's care team."""
    await patients.assign_care(
        actor=actor,
        patient_id=patient_id,
        practitioner_id=practitioner_id,
        assigned=False,
    )
    return Response(status_code=204)


def _folded(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    folded = fold(value)
    if not folded:
        raise Invalid(f"{field} must not be empty", errors=[FieldError(field, "must not be empty")])
    return folded


def _name_prefixes(name: str | None) -> tuple[str, ...]:
    if name is None:
        return ()
    words = tokens(name)
    if not words:
        raise Invalid("name must not be empty", errors=[FieldError("name", "must not be empty")])
    if len(words) > MAX_NAME_WORDS:
        raise Invalid(
            "name has too many words",
            errors=[FieldError("name", f"at most {MAX_NAME_WORDS} words")],
        )
    return tuple(words)


def _identifier(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    system, sep, ident = value.partition("|")
    if not sep or not system or not ident:
        raise Invalid(
            "identifier must look like system|value",
            errors=[FieldError("identifier", "expected system|value")],
        )
    return system, ident
