"""`POST /fhir/R4/Appointment` (book, and conditional create with `If-None-Exist`) and
`PUT /fhir/R4/Appointment/{id}` (a move along the lifecycle, with `If-Match`), through
the appointment use cases.

A conditional create finds the appointment through the appointment search, as
`GET /fhir/R4/Appointment?patient=&practitioner=&date=` would (every status: a cancelled
appointment at that time is a match too). Two such requests racing both find nothing;
the store lets one claim the time, and the other answers the appointment it booked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends
from starlette.responses import Response

from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.parameters import IfMatch, IfNoneExist, ResourceId
from carehub.fhir.api.responses import fhir_errors, fhir_ok, fhir_response, version_tag
from carehub.fhir.appointment_update import requested_move
from carehub.fhir.if_none_exist import appointment_condition
from carehub.fhir.resources.appointment import appointment_resource
from carehub.fhir.schemas.appointment_update import AppointmentUpdate
from carehub.fhir.schemas.appointment_write import AppointmentWrite
from carehub.fhir.wire import FHIR_JSON
from carehub.fhir.writes import version_to_update
from carehub.kernel.actor import Actor
from carehub.kernel.errors import PreconditionFailed
from carehub.scheduling.errors import AppointmentChanged, SlotTaken
from carehub.scheduling.model import Appointment
from carehub.scheduling.ports import AppointmentFilter
from carehub.scheduling.service import AppointmentService
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import use_case

router = fhir_router("/Appointment")
Appointments = Annotated[AppointmentService, Depends(use_case(AppointmentService))]


@router.post(
    "",
    status_code=201,
    responses={
        **fhir_ok("The Appointment booked", 201),
        **fhir_ok("The Appointment that already matched If-None-Exist"),
        **fhir_errors(400, 403, 404, 409, 412, 422),
    },
)
async def book_appointment(
    actor: CurrentActor,
    appointments: Appointments,
    base: FhirBase,
    body: Annotated[AppointmentWrite, Body(media_type=FHIR_JSON)],
    if_none_exist: IfNoneExist = None,
) -> Response:
    """Book through carehub's booking use case: the patient and practitioner named by the
    participants, at `start` or at the `slot`'s. A slot already taken is a 409; an
    asynchronous country's booking answers `pending` until its queue decides. With
    `If-None-Exist: patient=<id>&practitioner=<id>&date=<instant>` (the appointment's
    own), the appointment already booked then is answered (200) instead."""
    request = body.booking()
    criteria = None if if_none_exist is None else appointment_condition(if_none_exist, request)
    if criteria is not None:
        found = await _matching(appointments, actor, criteria)
        if found is not None:
            return _answer(found, base, 200)
    try:
        booked = await appointments.book(actor=actor, request=request)
    except SlotTaken:
        # The same request, sent twice at once, booked the time between the search above
        # and this booking: its appointment is the match.
        found = None if criteria is None else await _matching(appointments, actor, criteria)
        if found is None:
            raise
        return _answer(found, base, 200)
    return _answer(booked, base, 201)


@router.put(
    "/{appointment_id}",
    responses={
        **fhir_ok("The Appointment as it now stands"),
        **fhir_errors(400, 403, 404, 409, 412, 422, 428),
    },
)
async def update_appointment(
    actor: CurrentActor,
    appointments: Appointments,
    appointment_id: ResourceId,
    body: Annotated[AppointmentUpdate, Body(media_type=FHIR_JSON)],
    if_match: IfMatch = None,
) -> Response:
    """Cancel the appointment (`cancelled`, with a `cancelationReason.text` if you like),
    check it in (`checked-in`), complete it (`fulfilled`) or mark a no-show (`noshow`),
    if `If-Match` (or, without it, the body's `meta.versionId`) names the current version.
    Nothing else of it changes by update: a new time is a reschedule
    (`POST /appointments/{id}/reschedule`)."""
    version = version_to_update(if_match, body.model_dump(by_alias=True, include={"meta"}))
    current = await appointments.get(actor=actor, appointment_id=appointment_id)
    move = requested_move(current, body)
    if move.action is None:
        if version != current.version:
            raise AppointmentChanged(current.id)
        return _answer(current, None, 200)
    moved = await appointments.act(
        actor=actor,
        appointment_id=current.id,
        action=move.action,
        reason=move.reason,
        if_version=version,
    )
    return _answer(moved, None, 200)


async def _matching(
    appointments: AppointmentService, actor: Actor, criteria: AppointmentFilter
) -> Appointment | None:
    page = await appointments.search(actor=actor, criteria=criteria, cursor=None, limit=2)
    if len(page.items) > 1:
        raise PreconditionFailed("If-None-Exist matches more than one appointment")
    return page.items[0] if page.items else None


def _answer(appointment: Appointment, base: str | None, status: int) -> Response:
    headers = {"ETag": version_tag(appointment.version)}
    if base is not None:
        headers["Location"] = f"{base}/Appointment/{appointment.id}/_history/{appointment.version}"
    return fhir_response(appointment_resource(appointment), status=status, headers=headers)
