"""What the scheduling domain needs from storage, and what it reads from other domains."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from carehub.countries.model import Country
from carehub.kernel.pagination import Page
from carehub.kernel.patient_directory import PatientDirectory
from carehub.kernel.unit_of_work import UnitOfWork
from carehub.practitioners.model import Doctor
from carehub.scheduling.claims import BusyInterval, SlotClaim
from carehub.scheduling.model import Appointment, Hold, Status, WaitlistEntry


class CountryDirectory(Protocol):
    """Countries as scheduling reads them (the countries domain writes them)."""

    async def get(self, country_id: str) -> Country | None: ...

    async def get_by_code(self, code: str) -> Country | None:
        """The first country by id with this ISO 3166 alpha-2 code (upper case)."""
        ...


class DoctorDirectory(Protocol):
    """Doctors as scheduling reads them (the practitioners domain writes them)."""

    async def get(self, doctor_id: str) -> Doctor | None: ...

    async def list_by_country(
        self, country_id: str, *, specialty_key: str | None, cursor: str | None, limit: int
    ) -> Page[Doctor]:
        """Active doctors of a country (and specialty), by id, one page at a time."""
        ...


class SlotClaims(Protocol):
    """The claims that keep doctors and patients from being booked twice.

    Every method runs inside the caller's unit of work; a refused claim leaves that
    transaction usable (it can still roll back or commit other work).
    """

    async def claim(self, claim: SlotClaim, *, now: datetime) -> None:
        """Insert the claim. Expired hold claims overlapping it (same doctor or same
        patient, expires_at <= now) are deleted first in the same transaction. Raises
        SlotTaken("doctor"|"patient") when the store refuses it."""
        ...

    async def release(self, claim_id: str) -> bool:
        """Delete one claim; False when it was gone already."""
        ...

    async def release_owner(self, owner_id: str) -> int:
        """Delete every claim of an appointment or hold; returns how many."""
        ...

    async def busy(
        self, *, doctor_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[BusyInterval]:
        """The doctor's live claims (holds not yet expired) overlapping [start, end), by start."""
        ...

    async def patient_busy(
        self, *, patient_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[BusyInterval]:
        """The patient's live claims overlapping [start, end), by start."""
        ...

    async def expired_holds(self, *, now: datetime, limit: int) -> list[SlotClaim]:
        """Hold claims past their expiry, oldest first (for the sweeper)."""
        ...


@dataclass(frozen=True)
class AppointmentFilter:
    """The closed set of appointment queries (seed 001's indexes); each is served by an
    index keyed by its first criterion and the start time. Criteria combine with AND."""

    country_id: str | None = None
    doctor_id: str | None = None
    patient_id: str | None = None
    status: Status | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None


class AppointmentRepository(Protocol):
    async def add(self, appointment: Appointment) -> None:
        """Insert a new appointment with its history; raises AppointmentIdTaken."""
        ...

    async def get(self, appointment_id: str) -> Appointment | None: ...

    async def replace(self, appointment: Appointment, *, expected_version: int) -> bool:
        """Store it (and its new history steps) if the stored version is still
        `expected_version`; False when another writer got there first."""
        ...

    async def search(
        self, criteria: AppointmentFilter, *, cursor: str | None, limit: int
    ) -> Page[Appointment]:
        """Appointments matching every criterion, by start time then id, without their
        history (`get` reads it)."""
        ...


class HoldRepository(Protocol):
    async def add(self, hold: Hold) -> None: ...

    async def get(self, hold_id: str) -> Hold | None: ...

    async def replace(self, hold: Hold, *, expected_status: str) -> bool:
        """Store the hold's new status if it still has `expected_status`."""
        ...

    async def due(self, *, now: datetime, limit: int) -> list[Hold]:
        """Active holds whose time is up, oldest first."""
        ...

    async def lapsed_offers(
        self, *, doctor_id: str, start: datetime, end: datetime
    ) -> frozenset[str]:
        """Waitlist entries whose offer of exactly this slot expired or was released."""
        ...


class WaitlistRepository(Protocol):
    async def add(self, entry: WaitlistEntry) -> None: ...

    async def get(self, entry_id: str) -> WaitlistEntry | None: ...

    async def replace(self, entry: WaitlistEntry, *, expected_status: str) -> bool:
        """Store the entry if its status is still `expected_status`."""
        ...

    async def first_waiting(
        self,
        *,
        doctor_id: str,
        country_id: str,
        specialty_key: str,
        start: datetime,
        end: datetime,
        skip: frozenset[str] = frozenset(),
    ) -> WaitlistEntry | None:
        """The earliest-joined waiting entry for this doctor, or for its specialty in its
        country, whose range holds [start, end); entries in `skip` are passed over."""
        ...

    async def for_patient(
        self, patient_id: str, *, cursor: str | None, limit: int
    ) -> Page[WaitlistEntry]: ...


class SchedulingUnitOfWork(UnitOfWork, Protocol):
    """Scheduling's own records, plus read-only views of countries, doctors and patients."""

    @property
    def countries(self) -> CountryDirectory: ...

    @property
    def doctors(self) -> DoctorDirectory: ...

    @property
    def appointments(self) -> AppointmentRepository: ...

    @property
    def holds(self) -> HoldRepository: ...

    @property
    def waitlist(self) -> WaitlistRepository: ...

    @property
    def slot_claims(self) -> SlotClaims: ...

    @property
    def patient_directory(self) -> PatientDirectory: ...
