"""Scheduling request and response bodies, and their mapping to the model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, StrictBool, StrictInt, StringConstraints, model_validator

from carehub.kernel.errors import FieldError, Invalid
from carehub.scheduling.availability import DoctorSlots
from carehub.scheduling.model import Appointment, Hold, Status, WaitlistEntry
from carehub.scheduling.service import BookingRequest
from carehub.scheduling.slot_times import slot_texts
from carehub.web.schemas import WireModel
from carehub.web.text import MANY_LINES, ONE_LINE
from carehub.web.times import Moment

Id = Annotated[str, StringConstraints(min_length=1, max_length=64), ONE_LINE]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), MANY_LINES]
BOOKABLE = (
    "RFC 3339 with an offset, within the years 1900 to 2200; bookable from the country's "
    "lead time up to its booking horizon (at most 730 days ahead)"
)


class AppointmentCreate(WireModel):
    """Book an appointment. Seed 001's body (`appointmentId`, `patientId`, `doctorId`,
    `appointmentDate`, `countryId`, `state`) works as written; `start` (with an optional
    `end` or `durationMinutes`) is the documented form."""

    appointment_id: Id | None = Field(None, description="Your own id; a UUIDv7 when absent")
    patient_id: Id
    doctor_id: Id
    start: Moment | None = Field(None, description=BOOKABLE)
    appointment_date: Moment | None = Field(
        None, description=f"Seed 001's name for start: {BOOKABLE}"
    )
    end: Moment | None = None
    duration_minutes: StrictInt | None = Field(None, ge=5, le=480)
    country_id: Annotated[str, StringConstraints(max_length=32), ONE_LINE] | None = Field(
        None, description="The doctor's country, by id or ISO code (checked, not required)"
    )
    state: Literal["scheduled", "requested"] | None = Field(
        None, description="Seed 001's initial state; the country's booking mode decides the rest"
    )
    hold_id: Id | None = Field(None, description="Book the slot this hold keeps")

    @model_validator(mode="after")
    def _one_start(self) -> AppointmentCreate:
        if (self.start is None) == (self.appointment_date is None):
            raise ValueError("send start (or seed 001's appointmentDate), exactly one")
        if self.end is not None and self.duration_minutes is not None:
            raise ValueError("send end or durationMinutes, not both")
        return self

    def to_request(self) -> BookingRequest:
        start = self.start or self.appointment_date
        assert start is not None
        end = self.end
        if self.duration_minutes is not None:
            end = start + timedelta(minutes=self.duration_minutes)
        return BookingRequest(
            patient_id=self.patient_id,
            doctor_id=self.doctor_id,
            start=_utc(start),
            start_field="start" if self.start is not None else "appointmentDate",
            end=None if end is None else _utc(end),
            appointment_id=self.appointment_id,
            country_id=self.country_id,
            hold_id=self.hold_id,
        )


class ActionRequest(WireModel):
    reason: Reason | None = None
    override: StrictBool = Field(
        False, description="Cancel inside the country's cancellation window (admins; audited)"
    )


class RescheduleRequest(WireModel):
    """Move an appointment to `start` (or seed 001's `appointmentDate`, as when booking)."""

    start: Moment | None = Field(None, description=BOOKABLE)
    appointment_date: Moment | None = Field(
        None, description=f"Seed 001's name for start: {BOOKABLE}"
    )
    end: Moment | None = None
    reason: Reason | None = None

    @model_validator(mode="after")
    def _one_start(self) -> RescheduleRequest:
        if (self.start is None) == (self.appointment_date is None):
            raise ValueError("send start (or seed 001's appointmentDate), exactly one")
        return self

    def new_start(self) -> tuple[datetime, str]:
        """The new start in UTC, and the name the client gave it."""
        if self.start is not None:
            return _utc(self.start), "start"
        assert self.appointment_date is not None
        return _utc(self.appointment_date), "appointmentDate"


class TransitionRead(WireModel):
    at: datetime
    actor_id: str
    action: str
    from_status: Status | None
    to_status: Status
    reason: str | None


class AppointmentRead(WireModel):
    appointment_id: str
    patient_id: str
    doctor_id: str
    country_id: str
    start: datetime
    end: datetime
    start_local: str
    end_local: str
    time_zone: str
    appointment_date: datetime
    status: Status
    state: Status
    status_reason: str | None
    mode: str
    history: list[TransitionRead]
    version: int
    created_at: datetime
    updated_at: datetime


class AppointmentPage(WireModel):
    items: list[AppointmentRead]
    next_cursor: str | None


class HoldCreate(WireModel):
    doctor_id: Id
    patient_id: Id
    start: Moment = Field(description=BOOKABLE)
    end: Moment | None = None


class HoldRead(WireModel):
    hold_id: str
    doctor_id: str
    patient_id: str
    country_id: str
    start: datetime
    end: datetime
    expires_at: datetime
    status: str
    waitlist_entry_id: str | None


class WaitlistCreate(WireModel):
    """Wait for a freed slot with one doctor (`doctorId`), or with any doctor of a
    `specialty` in a country (`countryId`), between `earliest` and `latest`."""

    patient_id: Id
    doctor_id: Id | None = None
    country_id: Annotated[str, StringConstraints(max_length=32), ONE_LINE] | None = None
    specialty: Annotated[str, StringConstraints(max_length=100), ONE_LINE] | None = None
    earliest: Moment
    latest: Moment = Field(
        description="RFC 3339 with an offset, after earliest, in the future, at most a year "
        "after earliest and 730 days ahead"
    )


class WaitlistRead(WireModel):
    entry_id: str
    patient_id: str
    country_id: str
    doctor_id: str | None
    specialty_key: str | None
    earliest: datetime
    latest: datetime
    status: str
    offered_hold_id: str | None
    created_at: datetime


class SlotRead(WireModel):
    start: datetime
    end: datetime
    start_local: str
    end_local: str


class DoctorAvailabilityRead(WireModel):
    doctor_id: str
    time_zone: str
    slot_minutes: int
    slots: list[SlotRead]


class AvailabilityList(WireModel):
    items: list[DoctorAvailabilityRead]


def appointment_json(a: Appointment, *, with_history: bool = True) -> dict[str, Any]:
    zone = ZoneInfo(a.time_zone)
    return {
        "appointmentId": a.id,
        "patientId": a.patient_id,
        "doctorId": a.doctor_id,
        "countryId": a.country_id,
        "start": a.start,
        "end": a.end,
        "startLocal": a.start.astimezone(zone).isoformat(),
        "endLocal": a.end.astimezone(zone).isoformat(),
        "timeZone": a.time_zone,
        "appointmentDate": a.start,
        "status": a.status.value,
        "state": a.status.value,
        "statusReason": a.status_reason,
        "mode": a.mode,
        "history": [
            {
                "at": t.at,
                "actorId": t.actor_id,
                "action": t.action,
                "fromStatus": None if t.from_status is None else t.from_status.value,
                "toStatus": t.to_status.value,
                "reason": t.reason,
            }
            for t in a.history
        ]
        if with_history
        else [],
        "version": a.version,
        "createdAt": a.created_at,
        "updatedAt": a.updated_at,
    }


def hold_json(h: Hold) -> dict[str, Any]:
    return {
        "holdId": h.id,
        "doctorId": h.doctor_id,
        "patientId": h.patient_id,
        "countryId": h.country_id,
        "start": h.start,
        "end": h.end,
        "expiresAt": h.expires_at,
        "status": h.status.value,
        "waitlistEntryId": h.waitlist_entry_id,
    }


def waitlist_json(e: WaitlistEntry) -> dict[str, Any]:
    return {
        "entryId": e.id,
        "patientId": e.patient_id,
        "countryId": e.country_id,
        "doctorId": e.doctor_id,
        "specialtyKey": e.specialty_key,
        "earliest": e.earliest,
        "latest": e.latest,
        "status": e.status.value,
        "offeredHoldId": e.offered_hold_id,
        "createdAt": e.created_at,
    }


def availability_json(found: DoctorSlots) -> dict[str, Any]:
    zone = ZoneInfo(found.doctor.time_zone)
    return {
        "doctorId": found.doctor.id,
        "timeZone": found.doctor.time_zone,
        "slotMinutes": found.slot_minutes,
        "slots": [
            {"start": start, "end": end, "startLocal": start_local, "endLocal": end_local}
            for start, end, start_local, end_local in slot_texts(found.runs, zone)
        ],
    }


def utc(value: datetime, field: str = "start") -> datetime:
    """An aware time from a query parameter, in UTC."""
    if value.tzinfo is None:
        raise Invalid(
            f"{field} needs a time zone offset",
            errors=[FieldError(field, "an RFC 3339 time with an offset, e.g. ...Z")],
        )
    return _utc(value)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
