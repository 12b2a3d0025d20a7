"""HTTP routes for availability, appointments, holds and the waitlist."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from starlette.responses import Response

from carehub.kernel.actor import Actor
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT
from carehub.scheduling.availability import AvailabilityService
from carehub.scheduling.holds import HoldService
from carehub.scheduling.model import Action, Appointment, Status
from carehub.scheduling.ports import AppointmentFilter
from carehub.scheduling.schemas import (
    ActionRequest,
    AppointmentCreate,
    AppointmentPage,
    AppointmentRead,
    AvailabilityList,
    DoctorAvailabilityRead,
    HoldCreate,
    HoldRead,
    RescheduleRequest,
    WaitlistCreate,
    WaitlistRead,
    appointment_json,
    availability_json,
    hold_json,
    utc,
    waitlist_json,
)
from carehub.scheduling.service import AppointmentService
from carehub.scheduling.waitlist import WaitlistService
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.etag import NOT_MODIFIED, IfNoneMatch, conditional, etag_for, with_body_etag
from carehub.web.idempotency import Idempotency, idempotent
from carehub.web.problems import error_responses
from carehub.web.times import QueryMoment
from carehub.web.wire import json_response

router = APIRouter(dependencies=REQUIRE_TOKEN, responses=error_responses(401))
_WINDOW = "RFC 3339 with an offset, within the years 1900 to 2200; to - from is at most 62 days"
_RANGE = "RFC 3339 with an offset, within the years 1900 to 2200"
From = Annotated[QueryMoment, Query(alias="from", description=_WINDOW)]
To = Annotated[QueryMoment, Query(alias="to", description=_WINDOW)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=512)]
Appointments = Annotated[AppointmentService, Depends(use_case(AppointmentService))]
Availability = Annotated[AvailabilityService, Depends(use_case(AvailabilityService))]
Holds = Annotated[HoldService, Depends(use_case(HoldService))]
Waitlist = Annotated[WaitlistService, Depends(use_case(WaitlistService))]


def _render(appointment: Appointment, status: int = 200) -> Response:
    headers = {"ETag": etag_for(appointment.version)}
    if status in (201, 202):
        headers["Location"] = f"/appointments/{appointment.id}"
    return json_response(appointment_json(appointment), status, headers)


@router.get(
    "/doctors/{doctor_id}/availability",
    tags=["availability"],
    response_model=DoctorAvailabilityRead,
    responses={**NOT_MODIFIED, **error_responses(404, 422)},
)
async def doctor_availability(
    availability: Availability,
    doctor_id: str,
    start: From,
    end: To,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A doctor's free slots, in UTC and in the doctor's local time; the ETag is a hash of
    the answer (304 when If-None-Match names it)."""
    found = await availability.for_doctor(
        doctor_id=doctor_id, start=utc(start, "from"), end=utc(end, "to")
    )
    return conditional(with_body_etag(json_response(availability_json(found))), if_none_match)


@router.get(
    "/availability",
    tags=["availability"],
    response_model=AvailabilityList,
    responses={**NOT_MODIFIED, **error_responses(404, 422)},
)
async def availability(
    availability: Availability,
    country_id: Annotated[str, Query(alias="countryId", max_length=32)],
    start: From,
    end: To,
    specialty: Annotated[str | None, Query(max_length=100)] = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Free slots of a country's doctors, optionally of one specialty; the ETag is a hash
    of the answer (304 when If-None-Match names it)."""
    found = await availability.for_specialty(
        country_id=country_id, specialty=specialty, start=utc(start, "from"), end=utc(end, "to")
    )
    body = {"items": [availability_json(f) for f in found]}
    return conditional(with_body_etag(json_response(body)), if_none_match)


@router.post(
    "/appointments",
    tags=["appointments"],
    status_code=201,
    response_model=AppointmentRead,
    responses={
        202: {"description": "Queued for the country's processing (status pending)"},
        **error_responses(400, 403, 404, 409, 413, 422),
    },
)
async def book_appointment(
    request: Request,
    actor: CurrentActor,
    appointments: Appointments,
    store: Idempotency,
    body: AppointmentCreate,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    """Book: 201 confirmed in synchronous countries, 202 pending (poll Location) in
    asynchronous ones; 409 when the doctor or the patient is busy then."""

    async def run(claim: IdempotencyClaim | None) -> Response:
        appointment = await appointments.book(
            actor=actor, request=body.to_request(), idempotency=claim
        )
        return _render(appointment, 202 if appointment.status is Status.PENDING else 201)

    async def rebuild(appointment_id: str) -> Response:
        appointment = await appointments.get(actor=actor, appointment_id=appointment_id)
        first = appointment.history[1].to_status if len(appointment.history) > 1 else None
        return _render(appointment, 202 if first is Status.PENDING else 201)

    return await idempotent(
        request,
        store=store,
        actor=actor,
        key=idempotency_key,
        run=run,
        rebuild=rebuild,
    )


@router.get(
    "/appointments",
    tags=["appointments"],
    response_model=AppointmentPage,
    responses=error_responses(404, 422),
)
async def list_appointments(
    actor: CurrentActor,
    appointments: Appointments,
    country_id: Annotated[str | None, Query(alias="countryId", max_length=32)] = None,
    doctor_id: Annotated[str | None, Query(alias="doctorId", max_length=64)] = None,
    patient_id: Annotated[str | None, Query(alias="patientId", max_length=64)] = None,
    status: Status | None = None,
    start: Annotated[QueryMoment | None, Query(alias="from", description=_RANGE)] = None,
    end: Annotated[QueryMoment | None, Query(alias="to", description=_RANGE)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Appointments by country, doctor, patient, status and start range, by start time."""
    criteria = AppointmentFilter(
        country_id=country_id,
        doctor_id=doctor_id,
        patient_id=patient_id,
        status=status,
        start_from=None if start is None else utc(start, "from"),
        start_to=None if end is None else utc(end, "to"),
    )
    return await _page(actor, appointments, criteria, cursor, limit)


@router.get(
    "/appointments/country/{country_id}/doctor/{doctor_id}",
    tags=["appointments"],
    response_model=AppointmentPage,
    responses=error_responses(404, 422),
)
async def appointments_of_doctor_in_country(
    actor: CurrentActor,
    appointments: Appointments,
    country_id: str,
    doctor_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Seed 001's query: a doctor's appointments in a country, by start time."""
    criteria = AppointmentFilter(country_id=country_id, doctor_id=doctor_id)
    return await _page(actor, appointments, criteria, cursor, limit)


@router.post(
    "/appointments/country/{country_id}/doctor/{doctor_id}",
    tags=["appointments"],
    response_model=AppointmentPage,
    responses=error_responses(404, 422),
)
async def appointments_of_doctor_in_country_as_post(
    actor: CurrentActor,
    appointments: Appointments,
    country_id: str,
    doctor_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    _body: Annotated[dict[str, object] | None, Body(include_in_schema=False)] = None,
) -> Response:
    """The same query as a POST, as seed 001 sends it (its example body is accepted and
    ignored: nothing is created)."""
    return await appointments_of_doctor_in_country(
        actor, appointments, country_id, doctor_id, limit, cursor
    )


@router.get(
    "/appointments/{appointment_id}",
    tags=["appointments"],
    response_model=AppointmentRead,
    responses={**NOT_MODIFIED, **error_responses(404, 422)},
)
async def read_appointment(
    actor: CurrentActor,
    appointments: Appointments,
    appointment_id: str,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One appointment with its status history (poll it after a 202; 304 when
    If-None-Match names its ETag)."""
    appointment = await appointments.get(actor=actor, appointment_id=appointment_id)
    return conditional(_render(appointment), if_none_match)


@router.post(
    "/appointments/{appointment_id}/reschedule",
    tags=["appointments"],
    response_model=AppointmentRead,
    responses=error_responses(403, 404, 409, 422),
)
async def reschedule_appointment(
    actor: CurrentActor, appointments: Appointments, appointment_id: str, body: RescheduleRequest
) -> Response:
    """Move to a new time: the new slot is taken before the old one is released."""
    start, start_field = body.new_start()
    appointment = await appointments.reschedule(
        actor=actor,
        appointment_id=appointment_id,
        start=start,
        end=None if body.end is None else utc(body.end, "end"),
        reason=body.reason,
        start_field=start_field,
    )
    return _render(appointment)


@router.post(
    "/appointments/{appointment_id}/{action}",
    tags=["appointments"],
    response_model=AppointmentRead,
    responses=error_responses(403, 404, 409, 422),
)
async def act_on_appointment(
    actor: CurrentActor,
    appointments: Appointments,
    appointment_id: str,
    action: Literal["confirm", "cancel", "check-in", "complete", "no-show"],
    body: Annotated[ActionRequest | None, Body()] = None,
) -> Response:
    """Confirm, cancel, check in, complete or mark a no-show; 409 names the allowed actions."""
    body = body or ActionRequest()
    appointment = await appointments.act(
        actor=actor,
        appointment_id=appointment_id,
        action=Action(action),
        reason=body.reason,
        override_window=body.override,
    )
    return _render(appointment)


@router.post(
    "/holds",
    tags=["holds"],
    status_code=201,
    response_model=HoldRead,
    responses=error_responses(403, 404, 409, 422),
)
async def place_hold(actor: CurrentActor, holds: Holds, body: HoldCreate) -> Response:
    """Keep a slot for a patient for a few minutes; book it with `holdId`."""
    hold = await holds.place(
        actor=actor,
        doctor_id=body.doctor_id,
        patient_id=body.patient_id,
        start=utc(body.start),
        end=None if body.end is None else utc(body.end, "end"),
    )
    return json_response(hold_json(hold), 201, {"Location": f"/holds/{hold.id}"})


@router.get(
    "/holds/{hold_id}", tags=["holds"], response_model=HoldRead, responses=error_responses(404, 422)
)
async def read_hold(actor: CurrentActor, holds: Holds, hold_id: str) -> Response:
    """One hold."""
    return json_response(hold_json(await holds.get(actor=actor, hold_id=hold_id)))


@router.delete(
    "/holds/{hold_id}", tags=["holds"], response_model=HoldRead, responses=error_responses(404, 422)
)
async def release_hold(actor: CurrentActor, holds: Holds, hold_id: str) -> Response:
    """Give the held slot back before it expires."""
    hold = await holds.release(actor=actor, hold_id=hold_id)
    return json_response(hold_json(hold))


@router.post(
    "/waitlist",
    tags=["waitlist"],
    status_code=201,
    response_model=WaitlistRead,
    responses=error_responses(403, 404, 422),
)
async def join_waitlist(actor: CurrentActor, waitlist: Waitlist, body: WaitlistCreate) -> Response:
    """Wait for a freed slot; the first to wait gets the first offer (a hold and a notice)."""
    entry = await waitlist.join(
        actor=actor,
        patient_id=body.patient_id,
        earliest=utc(body.earliest, "earliest"),
        latest=utc(body.latest, "latest"),
        doctor_id=body.doctor_id,
        country_id=body.country_id,
        specialty=body.specialty,
    )
    return json_response(waitlist_json(entry), 201, {"Location": f"/waitlist/{entry.id}"})


@router.get("/waitlist", tags=["waitlist"], responses=error_responses(404, 422))
async def patient_waitlist(
    actor: CurrentActor,
    waitlist: Waitlist,
    patient_id: Annotated[str, Query(alias="patientId", max_length=64)],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """A patient's waitlist entries."""
    page = await waitlist.for_patient(
        actor=actor, patient_id=patient_id, cursor=cursor, limit=limit
    )
    return json_response(
        {"items": [waitlist_json(e) for e in page.items], "nextCursor": page.next_cursor}
    )


@router.get(
    "/waitlist/{entry_id}",
    tags=["waitlist"],
    response_model=WaitlistRead,
    responses=error_responses(404, 422),
)
async def read_waitlist_entry(actor: CurrentActor, waitlist: Waitlist, entry_id: str) -> Response:
    """One waitlist entry."""
    entry = await waitlist.get(actor=actor, entry_id=entry_id)
    return json_response(waitlist_json(entry))


@router.delete(
    "/waitlist/{entry_id}",
    tags=["waitlist"],
    response_model=WaitlistRead,
    responses=error_responses(404, 422),
)
async def leave_waitlist(actor: CurrentActor, waitlist: Waitlist, entry_id: str) -> Response:
    """Stop waiting."""
    entry = await waitlist.leave(actor=actor, entry_id=entry_id)
    return json_response(waitlist_json(entry))


async def _page(
    actor: Actor,
    appointments: AppointmentService,
    criteria: AppointmentFilter,
    cursor: str | None,
    limit: int,
) -> Response:
    page = await appointments.search(actor=actor, criteria=criteria, cursor=cursor, limit=limit)
    return json_response(
        {
            "items": [appointment_json(a, with_history=False) for a in page.items],
            "nextCursor": page.next_cursor,
        }
    )
