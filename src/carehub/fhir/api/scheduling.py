"""Appointment, Schedule and Slot: read and search through the scheduling use cases
(an Appointment is booked and moved in `appointment_writes.py`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query
from starlette.responses import Response

from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.paging import offset_page, search_response
from carehub.fhir.api.responses import (
    fhir_errors,
    fhir_ok,
    fhir_response,
    versioned_response,
)
from carehub.fhir.resources.appointment import appointment_resource
from carehub.fhir.resources.patient import patient_resource
from carehub.fhir.resources.practitioner import practitioner_resource
from carehub.fhir.resources.schedule import parse_slot_id, schedule_resource, slot_resource
from carehub.fhir.search_params import (
    MAX_COUNT,
    DateRange,
    count_of,
    date_sort,
    includes,
    invalid,
    reference_id,
)
from carehub.kernel.actor import Actor
from carehub.kernel.errors import NotFound
from carehub.patients.service import PatientService
from carehub.practitioners.service import DoctorService
from carehub.scheduling.availability import AvailabilityService
from carehub.scheduling.model import Status
from carehub.scheduling.ports import AppointmentFilter
from carehub.scheduling.service import AppointmentService
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import AppClock, use_case

router = fhir_router()
Appointments = Annotated[AppointmentService, Depends(use_case(AppointmentService))]
Availability = Annotated[AvailabilityService, Depends(use_case(AvailabilityService))]
Doctors = Annotated[DoctorService, Depends(use_case(DoctorService))]
Patients = Annotated[PatientService, Depends(use_case(PatientService))]
Count = Annotated[int | None, Query(alias="_count", ge=1, le=10 * MAX_COUNT)]
Cursor = Annotated[str | None, Query(alias="_cursor", max_length=512)]
ONE = {**fhir_ok("The resource"), **fhir_errors(404, 422)}

# FHIR's Appointment.status as carehub's (FHIR's `cancelled` also covers carehub's
# `rejected`, which a search for cancelled ones does not list).
_STATUS = {
    "proposed": Status.REQUESTED,
    "pending": Status.PENDING,
    "booked": Status.CONFIRMED,
    "checked-in": Status.CHECKED_IN,
    "fulfilled": Status.COMPLETED,
    "cancelled": Status.CANCELLED,
    "noshow": Status.NO_SHOW,
}
DAY, WEEK = timedelta(days=1), timedelta(days=7)
APPOINTMENT_INCLUDES = ("Appointment:patient", "Appointment:practitioner")


@router.get("/Appointment/{appointment_id}", responses=ONE)
async def read_appointment(
    actor: CurrentActor, appointments: Appointments, appointment_id: str
) -> Response:
    """One appointment."""
    found = await appointments.get(actor=actor, appointment_id=appointment_id)
    return versioned_response(appointment_resource(found), found.version)


@router.get("/Appointment", responses={**fhir_ok("A searchset Bundle"), **fhir_errors(404, 422)})
async def search_appointments(
    actor: CurrentActor,
    appointments: Appointments,
    patients: Patients,
    doctors: Doctors,
    clock: AppClock,
    base: FhirBase,
    patient: Annotated[str | None, Query(max_length=80)] = None,
    practitioner: Annotated[str | None, Query(max_length=80)] = None,
    date: Annotated[list[str] | None, Query(max_length=2)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    sort: Annotated[str | None, Query(alias="_sort", max_length=16)] = None,
    include: Annotated[list[str] | None, Query(alias="_include", max_length=2)] = None,
    count: Count = None,
    cursor: Cursor = None,
) -> Response:
    """Appointments by patient, practitioner, date (`ge2030-01-01`, at most two bounds) and
    status, in start order; `_include` brings the patients or practitioners."""
    date_sort(sort)
    wanted = includes(include, APPOINTMENT_INCLUDES)
    since, until = _window(date or [])
    if status is not None and status not in _STATUS:
        raise invalid("status", f"must be one of {', '.join(_STATUS)}")
    criteria = AppointmentFilter(
        patient_id=None if patient is None else reference_id("patient", patient, "Patient"),
        doctor_id=None
        if practitioner is None
        else reference_id("practitioner", practitioner, "Practitioner"),
        status=None if status is None else _STATUS[status],
        start_from=since,
        start_to=until,
    )
    limit = count_of(count)
    page = await appointments.search(actor=actor, criteria=criteria, cursor=cursor, limit=limit)
    included: list[dict[str, Any]] = []
    if "Appointment:patient" in wanted:
        for patient_id in dict.fromkeys(a.patient_id for a in page.items):
            included += await _patient(patients, actor, patient_id)
    if "Appointment:practitioner" in wanted:
        for doctor_id in dict.fromkeys(a.doctor_id for a in page.items):
            included.append(practitioner_resource(await doctors.get(doctor_id=doctor_id)))
    sent = [
        *([("patient", patient)] if patient else []),
        *([("practitioner", practitioner)] if practitioner else []),
        *[("date", d) for d in date or []],
        *([("status", status)] if status else []),
        *([("_sort", sort)] if sort else []),
        *[("_include", i) for i in sorted(wanted)],
    ]
    return search_response(
        base=base,
        path="Appointment",
        parameters=sent,
        count=limit,
        cursor=cursor,
        next_cursor=page.next_cursor,
        matches=[appointment_resource(a) for a in page.items],
        included=included,
        clock=clock,
    )


@router.get("/Schedule/{doctor_id}", responses=ONE)
async def read_schedule(doctors: Doctors, doctor_id: str) -> Response:
    """A doctor's Schedule: the Slots of their hours."""
    doctor = await doctors.get(doctor_id=doctor_id)
    return versioned_response(schedule_resource(doctor), doctor.version)


@router.get("/Slot/{slot_id}", responses=ONE)
async def read_slot(availability: Availability, slot_id: str) -> Response:
    """One free slot. carehub serves the free ones: a slot taken (or never on the doctor's
    hours) is not found."""
    parsed = parse_slot_id(slot_id)
    if parsed is None:
        raise NotFound(f"No slot {slot_id}")
    doctor_id, start = parsed
    found = await availability.for_doctor(doctor_id=doctor_id, start=start, end=start + DAY)
    for run in found.runs:
        for slot in run.slots():
            if slot.start == start:
                return fhir_response(slot_resource(doctor_id, slot.start, slot.end, "free"))
    raise NotFound(f"No free slot {slot_id}")


@router.get("/Slot", responses={**fhir_ok("A searchset Bundle"), **fhir_errors(404, 422)})
async def search_slots(
    availability: Availability,
    clock: AppClock,
    base: FhirBase,
    schedule: Annotated[str, Query(max_length=80)],
    start: Annotated[list[str] | None, Query(max_length=2)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    count: Count = None,
    cursor: Cursor = None,
) -> Response:
    """A doctor's free slots (`status=free`, the only status carehub lists) between the
    `start` bounds (by default the coming week; at most 62 days), soonest first."""
    if status is not None and status != "free":
        raise invalid("status", "only free slots are listed")
    doctor_id = reference_id("schedule", schedule, "Schedule")
    now = clock.now()
    since, until = _window(start or [], field="start")
    since = max(since or now, now)
    until = until or since + WEEK
    if until <= since:
        return _slots_page(base, clock, schedule, start, status, count, cursor, [], doctor_id)
    found = await availability.for_doctor(doctor_id=doctor_id, start=since, end=until)
    slots = [slot for run in found.runs for slot in run.slots()]
    return _slots_page(base, clock, schedule, start, status, count, cursor, slots, doctor_id)


def _slots_page(
    base: str,
    clock: AppClock,
    schedule: str,
    start: list[str] | None,
    status: str | None,
    count: int | None,
    cursor: str | None,
    slots: list[Any],
    doctor_id: str,
) -> Response:
    limit = count_of(count)
    page, following = offset_page(slots, limit, cursor)
    sent = [
        ("schedule", schedule),
        *[("start", s) for s in start or []],
        *([("status", status)] if status else []),
    ]
    return search_response(
        base=base,
        path="Slot",
        parameters=sent,
        count=limit,
        cursor=cursor,
        next_cursor=following,
        matches=[slot_resource(doctor_id, s.start, s.end, "free") for s in page],
        clock=clock,
    )


def _window(values: list[str], field: str = "date") -> tuple[datetime | None, datetime | None]:
    """The `[since, until)` window a date parameter's values (at most two) allow."""
    since: datetime | None = None
    until: datetime | None = None
    for value in values:
        bound = DateRange.parse(field, value)
        if bound.prefix == "ne":
            raise invalid(field, "ne is not offered here")
        low, high = bound.bounds()
        if low is not None:
            since = low if since is None else max(since, low)
        if high is not None:
            until = high if until is None else min(until, high)
    return since, until


async def _patient(patients: PatientService, actor: Actor, patient_id: str) -> list[dict[str, Any]]:
    """The patient an appointment names, if the actor may read them (an `_include`)."""
    try:
        return [patient_resource(await patients.get(actor=actor, patient_id=patient_id))]
    except NotFound:
        return []
