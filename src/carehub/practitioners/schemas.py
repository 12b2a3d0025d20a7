"""Doctor request and response bodies, and their mapping to the model."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictInt, StringConstraints, model_validator

from carehub.kernel.calendar import WEEKDAYS, DateOverride, TimeWindow, WeeklyWindow, parse_hhmm
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.weekly_hours import format_weekly, parse_available_times
from carehub.practitioners.model import Doctor
from carehub.practitioners.service import DoctorChanges, DoctorDraft
from carehub.web.schemas import WireModel
from carehub.web.text import NAME, ONE_LINE
from carehub.web.times import Day

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NAME]
Specialty = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), ONE_LINE
]
HhMm = Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}$"), ONE_LINE]
Weekday = Annotated[
    str, StringConstraints(to_lower=True, pattern=r"^[a-z]+$", max_length=9), ONE_LINE
]


class WindowWire(WireModel):
    """Local wall-clock hours, `HH:MM` to `HH:MM` (`24:00` is midnight at the close)."""

    start: HhMm
    end: HhMm


class WeeklyWindowWire(WindowWire):
    day: Weekday = Field(description="monday ... sunday")


class DateOverrideWire(WireModel):
    """The hours on one date, replacing the weekly ones: no windows is a day off, other
    windows are that day's hours (extra hours included)."""

    date: Day = Field(description="YYYY-MM-DD, within the years 1900 to 2200")
    windows: list[WindowWire] = Field(default_factory=list, max_length=10)


class DoctorBase(WireModel):
    name: Name | None = None
    specialty: Specialty | None = None
    speciality: Specialty | None = Field(None, description="Seed 001's spelling of specialty")
    available_times: list[Annotated[str, StringConstraints(max_length=100), ONE_LINE]] | None = (
        Field(None, max_length=50, description='Seed 001\'s weekly hours, e.g. "Monday 10am-4pm"')
    )
    weekly_availability: list[WeeklyWindowWire] | None = Field(None, max_length=50)
    date_overrides: list[DateOverrideWire] | None = Field(None, max_length=400)
    time_zone: Annotated[str, StringConstraints(max_length=64), ONE_LINE] | None = None
    slot_minutes: StrictInt | None = None
    license: Annotated[str, StringConstraints(max_length=64), ONE_LINE] | None = None
    email: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), ONE_LINE] | None
    ) = None
    phone_number: Annotated[str, StringConstraints(max_length=32), ONE_LINE] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> DoctorBase:
        if self.available_times is not None and self.weekly_availability is not None:
            raise ValueError("send availableTimes or weeklyAvailability, not both")
        return self

    def weekly(self) -> tuple[WeeklyWindow, ...] | None:
        if self.available_times is not None:
            return parse_available_times(self.available_times)
        if self.weekly_availability is None:
            return None
        windows, errors = [], []
        for index, w in enumerate(self.weekly_availability):
            try:
                weekday = WEEKDAYS.index(w.day)
                windows.append(WeeklyWindow(weekday, _window(w)))
            except ValueError as exc:
                errors.append(FieldError(f"weeklyAvailability[{index}]", str(exc)))
        if errors:
            raise Invalid("The weekly availability is not valid", errors=errors)
        return tuple(sorted(windows))

    def overrides(self) -> tuple[DateOverride, ...] | None:
        if self.date_overrides is None:
            return None
        result, errors = [], []
        for index, o in enumerate(self.date_overrides):
            try:
                result.append(DateOverride(o.date, tuple(sorted(_window(w) for w in o.windows))))
            except ValueError as exc:
                errors.append(FieldError(f"dateOverrides[{index}]", str(exc)))
        if errors:
            raise Invalid("The date overrides are not valid", errors=errors)
        return tuple(sorted(result))


class DoctorCreate(DoctorBase):
    """Add a doctor. Seed 001's body (`doctorId`, `name`, `speciality`, `countryId`,
    `availableTimes`) works as written; `weeklyAvailability` is the structured form."""

    doctor_id: Annotated[str, StringConstraints(min_length=1, max_length=64), ONE_LINE] | None = (
        None
    )
    country_id: Annotated[str, StringConstraints(min_length=1, max_length=32), ONE_LINE]
    name: Name

    def to_draft(self) -> DoctorDraft:
        specialty = self.specialty or self.speciality
        if specialty is None:
            raise Invalid("A doctor has a specialty", errors=[FieldError("specialty", "required")])
        return DoctorDraft(
            doctor_id=self.doctor_id,
            country_id=self.country_id,
            name=self.name,
            specialty=specialty,
            weekly=self.weekly() or (),
            overrides=self.overrides() or (),
            time_zone=self.time_zone,
            slot_minutes=self.slot_minutes,
            license=self.license,
            email=self.email,
            phone=self.phone_number,
        )


class DoctorUpdate(DoctorBase):
    """Change some fields (and hours); needs If-Match with the current ETag."""

    active: StrictBool | None = None

    def to_changes(self) -> DoctorChanges:
        return DoctorChanges(
            name=self.name,
            specialty=self.specialty or self.speciality,
            weekly=self.weekly(),
            overrides=self.overrides(),
            time_zone=self.time_zone,
            slot_minutes=self.slot_minutes,
            email=self.email,
            phone=self.phone_number,
            active=self.active,
        )


class DoctorRead(WireModel):
    doctor_id: str
    name: str
    specialty: str
    speciality: str
    country_id: str
    time_zone: str
    available_times: list[str]
    weekly_availability: list[WeeklyWindowWire]
    date_overrides: list[DateOverrideWire]
    slot_minutes: int | None
    license: str | None
    email: str | None
    phone_number: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class DoctorPage(WireModel):
    items: list[DoctorRead]
    next_cursor: str | None


def doctor_json(doctor: Doctor) -> dict[str, Any]:
    return {
        "doctorId": doctor.id,
        "name": doctor.name,
        "specialty": doctor.specialty,
        "speciality": doctor.specialty,
        "countryId": doctor.country_id,
        "timeZone": doctor.time_zone,
        "availableTimes": format_weekly(doctor.weekly),
        "weeklyAvailability": [
            {"day": WEEKDAYS[w.weekday], **_window_json(w.window)} for w in doctor.weekly
        ],
        "dateOverrides": [
            {"date": o.on.isoformat(), "windows": [_window_json(w) for w in o.windows]}
            for o in doctor.overrides
        ],
        "slotMinutes": doctor.slot_minutes,
        "license": doctor.license,
        "email": doctor.email,
        "phoneNumber": doctor.phone,
        "active": doctor.active,
        "version": doctor.version,
        "createdAt": doctor.created_at,
        "updatedAt": doctor.updated_at,
    }


def _window(w: WindowWire) -> TimeWindow:
    return TimeWindow(parse_hhmm(w.start), parse_hhmm(w.end))


def _window_json(w: TimeWindow) -> dict[str, str]:
    start, end = w.label().split("-")
    return {"start": start, "end": end}
