"""HTTP routes for doctors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from starlette.responses import Response

from carehub.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT
from carehub.practitioners.model import Doctor
from carehub.practitioners.schemas import (
    DoctorCreate,
    DoctorPage,
    DoctorRead,
    DoctorUpdate,
    doctor_json,
)
from carehub.practitioners.service import DoctorService
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.etag import (
    NOT_MODIFIED,
    IfNoneMatch,
    conditional,
    etag_for,
    version_from_if_match,
)
from carehub.web.problems import error_responses
from carehub.web.wire import json_response

router = APIRouter(
    prefix="/doctors",
    tags=["doctors"],
    dependencies=REQUIRE_TOKEN,
    responses=error_responses(401),
)
Doctors = Annotated[DoctorService, Depends(use_case(DoctorService))]


def _render(doctor: Doctor, status: int = 200) -> Response:
    return json_response(doctor_json(doctor), status, {"ETag": etag_for(doctor.version)})


@router.post(
    "",
    status_code=201,
    response_model=DoctorRead,
    responses=error_responses(400, 403, 404, 409, 422),
)
async def create_doctor(actor: CurrentActor, doctors: Doctors, body: DoctorCreate) -> Response:
    """Add a doctor (admins, and staff of the doctor's country)."""
    doctor = await doctors.create(actor=actor, draft=body.to_draft())
    response = _render(doctor, 201)
    response.headers["Location"] = f"/doctors/{doctor.id}"
    return response


@router.get("", response_model=DoctorPage, responses=error_responses(404, 422))
async def list_doctors(
    doctors: Doctors,
    country_id: Annotated[str, Query(alias="countryId", max_length=32)],
    specialty: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Active doctors of a country, optionally of one specialty (any accents or case)."""
    page = await doctors.search(
        country_id=country_id, specialty=specialty, cursor=cursor, limit=limit
    )
    return json_response(
        {"items": [doctor_json(d) for d in page.items], "nextCursor": page.next_cursor}
    )


@router.get(
    "/{doctor_id}",
    response_model=DoctorRead,
    responses={**NOT_MODIFIED, **error_responses(404, 422)},
)
async def read_doctor(
    doctors: Doctors, doctor_id: str, if_none_match: IfNoneMatch = None
) -> Response:
    """One doctor, with their weekly hours and date overrides (304 when If-None-Match
    names the current ETag)."""
    return conditional(_render(await doctors.get(doctor_id=doctor_id)), if_none_match)


@router.patch(
    "/{doctor_id}",
    response_model=DoctorRead,
    responses=error_responses(400, 403, 404, 412, 422, 428),
)
async def update_doctor(
    actor: CurrentActor,
    doctors: Doctors,
    doctor_id: str,
    body: DoctorUpdate,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    """Change a doctor's details or hours (the doctor, staff of their country, admins)."""
    version = version_from_if_match(if_match)
    doctor = await doctors.revise(
        actor=actor, doctor_id=doctor_id, changes=body.to_changes(), if_version=version
    )
    return _render(doctor)
