"""The doctor aggregate: who they are, where they practise and when they work."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from carehub.kernel.calendar import DateOverride, WeeklyWindow
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.text import fold

DOCTOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, kw_only=True)
class Doctor:
    """A practitioner who takes appointments, in one country and one time zone."""

    id: str
    country_id: str
    name: str
    specialty: str
    time_zone: str
    weekly: tuple[WeeklyWindow, ...]
    overrides: tuple[DateOverride, ...] = ()
    slot_minutes: int | None = None  # None: the country's slot length
    license: str | None = None
    email: str | None = None
    phone: str | None = None
    active: bool = True
    version: int = 1
    created_at: datetime
    updated_at: datetime

    @property
    def specialty_key(self) -> str:
        """The specialty as lists match it: case- and accent-insensitive."""
        return specialty_key(self.specialty)


def specialty_key(specialty: str) -> str:
    return fold(specialty)


def check_doctor(doctor: Doctor) -> None:
    """Apply the record's own rules (the country's are the service's); all errors at once."""
    errors: list[FieldError] = []
    if not DOCTOR_ID.fullmatch(doctor.id):
        errors.append(FieldError("doctorId", "1-64 letters, digits, '.', '_' or '-'"))
    if not doctor.name.strip() or len(doctor.name) > 200:
        errors.append(FieldError("name", "1-200 characters"))
    if not doctor.specialty.strip() or len(doctor.specialty) > 100:
        errors.append(FieldError("specialty", "1-100 characters"))
    if doctor.slot_minutes is not None and not (
        5 <= doctor.slot_minutes <= 240 and doctor.slot_minutes % 5 == 0
    ):
        errors.append(FieldError("slotMinutes", "a multiple of 5 from 5 to 240"))
    if doctor.email is not None and not EMAIL.fullmatch(doctor.email):
        errors.append(FieldError("email", "not an email address"))
    if doctor.license is not None and len(doctor.license) > 64:
        errors.append(FieldError("license", "at most 64 characters"))
    if errors:
        raise Invalid("The doctor is not valid", errors=errors)
