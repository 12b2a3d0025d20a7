"""The waitlist: patients waiting for a freed slot, offered it first come, first served."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from carehub.countries.lookup import find_country
from carehub.kernel.access_gate import AccessGate, outcome_of
from carehub.kernel.actor import Actor, Role
from carehub.kernel.clock import Clock
from carehub.kernel.errors import CarehubError, FieldError, Invalid, NotFound
from carehub.kernel.ids import new_id
from carehub.kernel.pagination import Page, check_limit
from carehub.kernel.time_range import MAX_DAYS_AHEAD
from carehub.practitioners.lookup import find_doctor
from carehub.practitioners.model import specialty_key
from carehub.scheduling import access
from carehub.scheduling.errors import SlotTaken, WaitlistEntryNotFound
from carehub.scheduling.events import WaitlistOfferMade
from carehub.scheduling.holds import claim_hold
from carehub.scheduling.model import Hold, HoldStatus, WaitlistEntry, WaitStatus
from carehub.scheduling.ports import SchedulingUnitOfWork

MAX_RANGE = timedelta(days=366)


class WaitlistService:
    """Joining and leaving the waitlist, and offering freed slots to who waits first."""

    def __init__(
        self,
        uow_factory: Callable[[], SchedulingUnitOfWork],
        clock: Clock,
        *,
        offer_minutes: int,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._offer_for = timedelta(minutes=offer_minutes)
        self._gate = AccessGate(clock, "waitlist_entry")

    async def join(
        self,
        *,
        actor: Actor,
        patient_id: str,
        earliest: datetime,
        latest: datetime,
        doctor_id: str | None = None,
        country_id: str | None = None,
        specialty: str | None = None,
    ) -> WaitlistEntry:
        """Wait for one doctor, or for any doctor of a specialty in a country."""
        try:
            return await self._join(
                actor, patient_id, earliest, latest, doctor_id, country_id, specialty
            )
        except CarehubError as exc:
            async with self._uow() as uow:
                # The ids are the caller's claims, not records they were shown: list none.
                await self._gate.refuse(uow, actor, "waitlist.join", None, outcome_of(exc))
            raise

    async def _join(
        self,
        actor: Actor,
        patient_id: str,
        earliest: datetime,
        latest: datetime,
        doctor_id: str | None,
        country_id: str | None,
        specialty: str | None,
    ) -> WaitlistEntry:
        now = self._clock.now()
        if (doctor_id is None) == (specialty is None or country_id is None):
            raise Invalid(
                "Wait for a doctor, or for a specialty in a country",
                errors=[FieldError("doctorId", "send doctorId, or countryId and specialty")],
            )
        ahead = now + timedelta(days=MAX_DAYS_AHEAD)
        if not (now <= latest <= ahead and earliest < latest and latest - earliest <= MAX_RANGE):
            raise Invalid(
                "The waiting range is not valid",
                errors=[
                    FieldError(
                        "latest",
                        f"after earliest, in the future, within a year of it and at most "
                        f"{MAX_DAYS_AHEAD} days ahead",
                    )
                ],
            )
        async with self._uow() as uow:
            if doctor_id is not None:
                doctor = await find_doctor(uow.doctors, doctor_id)
                country_key, key = doctor.country_id, None
            else:
                assert country_id is not None
                assert specialty is not None
                country_key, key = (
                    (await find_country(uow.countries, country_id)).id,
                    specialty_key(specialty),
                )
            patient = await uow.patient_directory.contact(patient_id)
            if patient is None or (actor.role is Role.PATIENT and actor.patient_id != patient_id):
                raise NotFound(f"Patient {patient_id} does not exist")
            access.check_can_book(
                actor, patient_id=patient_id, doctor_id=doctor_id or "", country_id=country_key
            )
            entry = WaitlistEntry(
                id=new_id(),
                patient_id=patient_id,
                country_id=country_key,
                doctor_id=doctor_id,
                specialty_key=key,
                earliest=max(earliest, now),
                latest=latest,
                status=WaitStatus.WAITING,
                offered_hold_id=None,
                created_at=now,
                updated_at=now,
            )
            await uow.waitlist.add(entry)
            uow.audit(self._gate.allowed(actor, "waitlist.join", entry))
            await uow.commit()
        return entry

    async def leave(self, *, actor: Actor, entry_id: str) -> WaitlistEntry:
        """Stop waiting (an open offer stays until it is booked or expires)."""
        now = self._clock.now()
        async with self._uow() as uow:
            entry = await self._visible(uow, actor, entry_id, "waitlist.leave")
            if entry.status is not WaitStatus.WAITING:
                return entry
            left = replace(entry, status=WaitStatus.CANCELLED, updated_at=now)
            await uow.waitlist.replace(left, expected_status=WaitStatus.WAITING)
            uow.audit(self._gate.allowed(actor, "waitlist.leave", entry))
            await uow.commit()
        return left

    async def get(self, *, actor: Actor, entry_id: str) -> WaitlistEntry:
        async with self._uow() as uow:
            entry = await self._visible(uow, actor, entry_id, "waitlist.read")
            uow.audit(self._gate.allowed(actor, "waitlist.read", entry))
            await uow.commit()
        return entry

    async def for_patient(
        self, *, actor: Actor, patient_id: str, cursor: str | None, limit: int
    ) -> Page[WaitlistEntry]:
        """A patient's waitlist entries."""
        check_limit(limit)
        async with self._uow() as uow:
            missing = NotFound(f"Patient {patient_id} does not exist")
            patient = await uow.patient_directory.contact(patient_id)
            if patient is None:
                await self._gate.hide(uow, actor, "waitlist.list", missing, resource_id=None)
            if not access.can_see(
                actor, patient_id=patient_id, doctor_id="", country_id=patient.country_id
            ):
                await self._gate.hide(
                    uow, actor, "waitlist.list", missing, resource_id=None, patient_id=patient_id
                )
            page = await uow.waitlist.for_patient(patient_id, cursor=cursor, limit=limit)
            uow.audit(self._gate.listed(actor, "waitlist.list", (patient_id,)))
            await uow.commit()
        return page

    async def offer_freed_slot(
        self,
        *,
        uow: SchedulingUnitOfWork,
        doctor_id: str,
        start: datetime,
        end: datetime,
        actor: Actor,
    ) -> WaitlistEntry | None:
        """Offer a freed slot to the first patient waiting for it: a hold in their name.
        Patients whose offer of this very slot lapsed are passed over."""
        now = self._clock.now()
        if end <= now:
            return None
        doctor = await uow.doctors.get(doctor_id)
        if doctor is None or not doctor.active:
            return None
        lapsed = await uow.holds.lapsed_offers(doctor_id=doctor_id, start=start, end=end)
        entry = await uow.waitlist.first_waiting(
            doctor_id=doctor_id,
            country_id=doctor.country_id,
            specialty_key=doctor.specialty_key,
            start=start,
            end=end,
            skip=lapsed,
        )
        if entry is None:
            return None
        hold = Hold(
            id=new_id(),
            country_id=doctor.country_id,
            doctor_id=doctor_id,
            patient_id=entry.patient_id,
            start=start,
            end=end,
            expires_at=now + self._offer_for,
            status=HoldStatus.ACTIVE,
            waitlist_entry_id=entry.id,
            created_by=actor.id,
            created_at=now,
        )
        try:
            await claim_hold(uow, hold, now)
        except SlotTaken:
            return None  # booked again already, or the patient is busy then
        offered = replace(entry, status=WaitStatus.OFFERED, offered_hold_id=hold.id, updated_at=now)
        if not await uow.waitlist.replace(offered, expected_status=WaitStatus.WAITING):
            raise CarehubError("waitlist entry changed while offering")  # retried by the runner
        uow.record(
            WaitlistOfferMade(
                aggregate_id=entry.id,
                occurred_at=now,
                actor_id=actor.id,
                hold_id=hold.id,
                patient_id=entry.patient_id,
                doctor_id=doctor_id,
                country_id=doctor.country_id,
            )
        )
        uow.audit(self._gate.allowed(actor, "waitlist.offer", offered))
        return offered

    async def _visible(
        self, uow: SchedulingUnitOfWork, actor: Actor, entry_id: str, action: str
    ) -> WaitlistEntry:
        return await self._gate.reveal(
            uow,
            actor,
            action,
            await uow.waitlist.get(entry_id),
            resource_id=entry_id,
            missing=WaitlistEntryNotFound(entry_id),
            may_see=lambda entry: access.can_see(
                actor,
                patient_id=entry.patient_id,
                doctor_id=entry.doctor_id or "",
                country_id=entry.country_id,
            ),
        )
