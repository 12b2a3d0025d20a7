"""Free slots: the doctor's hours, within the country's rules, minus every live claim."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from carehub.countries.errors import CountryNotFound
from carehub.countries.lookup import find_country
from carehub.countries.model import Country
from carehub.kernel.cached_reads import ReadThrough, Uncached
from carehub.kernel.clock import Clock
from carehub.kernel.errors import FieldError, Invalid
from carehub.practitioners.errors import DoctorNotFound
from carehub.practitioners.model import Doctor, specialty_key
from carehub.scheduling.booking_rules import bounds, calendar_for, slot_minutes
from carehub.scheduling.ports import SchedulingUnitOfWork
from carehub.scheduling.slots import SlotRun, free_runs

MAX_RANGE = timedelta(days=62)
MAX_DOCTORS = 50


@dataclass(frozen=True)
class DoctorSlots:
    doctor: Doctor
    slot_minutes: int
    runs: list[SlotRun]  # the free slots, as runs of back-to-back ones


class AvailabilityService:
    """Finding free slots for one doctor, or for a specialty in a country."""

    def __init__(
        self,
        uow_factory: Callable[[], SchedulingUnitOfWork],
        clock: Clock,
        *,
        doctors: ReadThrough[Doctor] | None = None,
        countries: ReadThrough[Country] | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        # A doctor's hours and their country's rules may come from a cache; the claims on
        # the doctor's time never do (a hold is placed without an event, and lapses by
        # the clock), so a booked or held slot shows taken at once.
        self._doctors: ReadThrough[Doctor] = doctors or Uncached()
        self._countries: ReadThrough[Country] = countries or Uncached()

    async def for_doctor(self, *, doctor_id: str, start: datetime, end: datetime) -> DoctorSlots:
        """A doctor's free slots between `start` and `end` (at most 62 days)."""
        _check_range(start, end)
        async with self._uow() as uow:
            doctor = await self._doctors.read(doctor_id, lambda: uow.doctors.get(doctor_id))
            if doctor is None:
                raise DoctorNotFound(doctor_id)
            country_id = doctor.country_id
            country = await self._countries.read(country_id, lambda: uow.countries.get(country_id))
            if country is None:
                raise CountryNotFound(country_id)
            return await self._slots(uow, doctor, country, start, end)

    async def for_specialty(
        self, *, country_id: str, specialty: str | None, start: datetime, end: datetime
    ) -> list[DoctorSlots]:
        """Free slots of a country's doctors (of one specialty), up to 50 doctors."""
        _check_range(start, end)
        async with self._uow() as uow:
            country = await find_country(uow.countries, country_id)
            key = None if specialty is None else specialty_key(specialty)
            page = await uow.doctors.list_by_country(
                country.id, specialty_key=key, cursor=None, limit=MAX_DOCTORS
            )
            return [await self._slots(uow, d, country, start, end) for d in page.items]

    async def _slots(
        self,
        uow: SchedulingUnitOfWork,
        doctor: Doctor,
        country: Country,
        start: datetime,
        end: datetime,
    ) -> DoctorSlots:
        now = self._clock.now()
        earliest, latest = bounds(country, now)
        busy = await uow.slot_claims.busy(doctor_id=doctor.id, start=start, end=end, now=now)
        minutes = slot_minutes(country, doctor)
        runs = free_runs(
            calendar_for(country, doctor, start, end),
            slot_minutes=minutes,
            busy=[(b.start, b.end) for b in busy],
            start=start,
            end=end,
            earliest=earliest,
            latest=latest,
        )
        return DoctorSlots(doctor, minutes, runs)


def _check_range(start: datetime, end: datetime) -> None:
    if not (start < end <= start + MAX_RANGE):
        raise Invalid(
            "from must come before to, at most 62 days apart",
            errors=[FieldError("to", "after from, within 62 days")],
        )
