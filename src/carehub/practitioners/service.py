"""Doctor use cases: admins and staff add doctors; doctors keep their own hours current."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from carehub.countries.lookup import find_country
from carehub.countries.model import Country
from carehub.kernel.access_gate import AccessGate
from carehub.kernel.actor import Actor, Role
from carehub.kernel.cached_reads import ReadThrough, Uncached
from carehub.kernel.calendar import DateOverride, WeeklyWindow
from carehub.kernel.clock import Clock
from carehub.kernel.errors import FieldError, Forbidden, Invalid, PreconditionFailed
from carehub.kernel.ids import new_id
from carehub.kernel.pagination import Page, check_limit
from carehub.kernel.weekly_hours import check_overrides, check_weekly
from carehub.practitioners.errors import DoctorNotFound
from carehub.practitioners.events import DoctorChanged
from carehub.practitioners.lookup import find_doctor
from carehub.practitioners.model import Doctor, check_doctor, specialty_key
from carehub.practitioners.ports import PractitionersUnitOfWork


@dataclass(frozen=True, kw_only=True)
class DoctorDraft:
    """What a client sends to add a doctor."""

    doctor_id: str | None
    country_id: str
    name: str
    specialty: str
    weekly: tuple[WeeklyWindow, ...]
    overrides: tuple[DateOverride, ...] = ()
    time_zone: str | None = None
    slot_minutes: int | None = None
    license: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, kw_only=True)
class DoctorChanges:
    """A partial change; None leaves a field as it is."""

    name: str | None = None
    specialty: str | None = None
    weekly: tuple[WeeklyWindow, ...] | None = None
    overrides: tuple[DateOverride, ...] | None = None
    time_zone: str | None = None
    slot_minutes: int | None = None
    email: str | None = None
    phone: str | None = None
    active: bool | None = None


class DoctorService:
    """Adding, reading, listing and revising doctors."""

    def __init__(
        self,
        uow_factory: Callable[[], PractitionersUnitOfWork],
        clock: Clock,
        *,
        cached: ReadThrough[Doctor] | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        # A profile read may be answered by a cache; revisions read the store.
        self._cached: ReadThrough[Doctor] = cached or Uncached()
        self._gate = AccessGate(clock, "doctor")

    async def create(self, *, actor: Actor, draft: DoctorDraft) -> Doctor:
        """Add a doctor in a country; their zone defaults to the country's first."""
        now = self._clock.now()
        async with self._uow() as uow:
            country = await find_country(uow.countries, draft.country_id)
            _check_can_manage(actor, country.id)
            doctor = Doctor(
                id=draft.doctor_id or new_id(),
                country_id=country.id,
                name=draft.name,
                specialty=draft.specialty,
                time_zone=draft.time_zone or country.default_zone,
                weekly=draft.weekly,
                overrides=draft.overrides,
                slot_minutes=draft.slot_minutes,
                license=draft.license,
                email=draft.email,
                phone=draft.phone,
                created_at=now,
                updated_at=now,
            )
            _check(doctor, country)
            await uow.doctors.add(doctor)
            uow.record(_changed(doctor, actor))
            uow.audit(self._gate.record(actor, "doctor.create", None, doctor.id))
            await uow.commit()
        return doctor

    async def get(self, *, doctor_id: str) -> Doctor:
        """One doctor (every signed-in user may look doctors up)."""
        async with self._uow() as uow:
            found = await self._cached.read(doctor_id, lambda: uow.doctors.get(doctor_id))
            if found is None:
                raise DoctorNotFound(doctor_id)
            return found

    async def find_by_license(self, *, license: str) -> Doctor | None:
        """The doctor holding this license, if any (imports match practitioners by it)."""
        async with self._uow() as uow:
            return await uow.doctors.find_by_license(license)

    async def search(
        self, *, country_id: str, specialty: str | None, cursor: str | None, limit: int
    ) -> Page[Doctor]:
        """Active doctors of a country, optionally of one specialty."""
        check_limit(limit)
        async with self._uow() as uow:
            country = await find_country(uow.countries, country_id)
            key = None if specialty is None else specialty_key(specialty)
            return await uow.doctors.list_by_country(
                country.id, specialty_key=key, cursor=cursor, limit=limit
            )

    async def revise(
        self, *, actor: Actor, doctor_id: str, changes: DoctorChanges, if_version: int
    ) -> Doctor:
        """Change a doctor's details or hours if the client saw the current version."""
        now = self._clock.now()
        async with self._uow() as uow:
            current = await find_doctor(uow.doctors, doctor_id)
            if not (actor.role is Role.DOCTOR and actor.practitioner_id == doctor_id):
                _check_can_manage(actor, current.country_id)
            if current.version != if_version:
                raise _stale(doctor_id)
            country = await find_country(uow.countries, current.country_id)
            fields = {k: v for k, v in vars(changes).items() if v is not None}
            revised = replace(current, **fields, version=current.version + 1, updated_at=now)
            _check(revised, country)
            if not await uow.doctors.replace(revised, expected_version=if_version):
                raise _stale(doctor_id)
            uow.record(_changed(revised, actor))
            uow.audit(self._gate.record(actor, "doctor.update", None, doctor_id))
            await uow.commit()
        return revised


def _check(doctor: Doctor, country: Country) -> None:
    check_doctor(doctor)
    check_weekly(doctor.weekly)
    check_overrides(doctor.overrides)
    if doctor.time_zone not in country.time_zones:
        zones = ", ".join(country.time_zones)
        raise Invalid(
            "The doctor's time zone is not one of the country's",
            errors=[FieldError("timeZone", f"one of {zones}")],
        )


def _check_can_manage(actor: Actor, country_id: str) -> None:
    if actor.unrestricted:
        return
    if actor.role is Role.STAFF and actor.country_id == country_id:
        return
    raise Forbidden("Only admins, and staff of the doctor's country, manage doctors")


def _changed(doctor: Doctor, actor: Actor) -> DoctorChanged:
    return DoctorChanged(
        aggregate_id=doctor.id,
        occurred_at=doctor.updated_at,
        actor_id=actor.id,
        country_id=doctor.country_id,
        version=doctor.version,
    )


def _stale(doctor_id: str) -> PreconditionFailed:
    return PreconditionFailed(f"Doctor {doctor_id} was changed by someone else; read it again")
