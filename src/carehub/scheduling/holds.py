"""Holds: a slot kept for a patient for a few minutes, until booked or expired."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from carehub.countries.lookup import find_country
from carehub.kernel.access_gate import AccessGate, outcome_of
from carehub.kernel.actor import Actor, Role
from carehub.kernel.clock import Clock
from carehub.kernel.errors import CarehubError, NotFound
from carehub.kernel.ids import new_id
from carehub.practitioners.lookup import find_doctor
from carehub.scheduling import access
from carehub.scheduling.booking_rules import check_bookable, slot_minutes
from carehub.scheduling.claims import ClaimKind, SlotClaim
from carehub.scheduling.errors import HoldNotFound
from carehub.scheduling.events import SlotFreed
from carehub.scheduling.model import Hold, HoldStatus, WaitlistEntry, WaitStatus, check_times
from carehub.scheduling.ports import SchedulingUnitOfWork


class HoldService:
    """Placing, reading and releasing holds, and expiring them when their time is up."""

    def __init__(
        self,
        uow_factory: Callable[[], SchedulingUnitOfWork],
        clock: Clock,
        *,
        hold_minutes: int,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._hold_for = timedelta(minutes=hold_minutes)
        self._gate = AccessGate(clock, "hold")

    async def place(
        self,
        *,
        actor: Actor,
        doctor_id: str,
        patient_id: str,
        start: datetime,
        end: datetime | None = None,
    ) -> Hold:
        """Keep a slot for a patient; the store refuses it if the time is taken."""
        try:
            return await self._place(actor, doctor_id, patient_id, start, end)
        except CarehubError as exc:
            async with self._uow() as uow:
                # The ids are the caller's claims, not records they were shown: list none.
                await self._gate.refuse(uow, actor, "hold.create", None, outcome_of(exc))
            raise

    async def _place(
        self,
        actor: Actor,
        doctor_id: str,
        patient_id: str,
        start: datetime,
        end: datetime | None,
    ) -> Hold:
        now = self._clock.now()
        async with self._uow() as uow:
            doctor = await find_doctor(uow.doctors, doctor_id)
            country = await find_country(uow.countries, doctor.country_id)
            patient = await uow.patient_directory.contact(patient_id)
            if patient is None or (actor.role is Role.PATIENT and actor.patient_id != patient_id):
                raise NotFound(f"Patient {patient_id} does not exist")
            access.check_can_book(
                actor, patient_id=patient_id, doctor_id=doctor.id, country_id=country.id
            )
            end = end or start + timedelta(minutes=slot_minutes(country, doctor))
            check_times(start, end)
            check_bookable(country, doctor, start, end, now=now)
            hold = Hold(
                id=new_id(),
                country_id=country.id,
                doctor_id=doctor.id,
                patient_id=patient_id,
                start=start,
                end=end,
                expires_at=now + self._hold_for,
                status=HoldStatus.ACTIVE,
                waitlist_entry_id=None,
                created_by=actor.id,
                created_at=now,
            )
            await claim_hold(uow, hold, now)
            uow.audit(self._gate.allowed(actor, "hold.create", hold))
            await uow.commit()
        return hold

    async def get(self, *, actor: Actor, hold_id: str) -> Hold:
        """One hold (its patient, its doctor, staff of its country and admins see it)."""
        async with self._uow() as uow:
            hold = await self._visible(uow, actor, hold_id, "hold.read")
            uow.audit(self._gate.allowed(actor, "hold.read", hold))
            await uow.commit()
        return hold

    async def release(self, *, actor: Actor, hold_id: str) -> Hold:
        """Give a held slot back before it expires. Repeating it is a no-op."""
        now = self._clock.now()
        async with self._uow() as uow:
            hold = await self._visible(uow, actor, hold_id, "hold.release")
            if hold.status is not HoldStatus.ACTIVE:
                return hold
            released = replace(hold, status=HoldStatus.RELEASED)
            if await uow.holds.replace(released, expected_status=HoldStatus.ACTIVE):
                await _let_go(uow, hold, actor, now)
            uow.audit(self._gate.allowed(actor, "hold.release", hold))
            await uow.commit()
        return released

    async def expire_due(self, *, limit: int = 100) -> int:
        """Expire holds whose time is up, freeing their slots; returns how many."""
        now = self._clock.now()
        actor = Actor.system("holds")
        async with self._uow() as uow:
            due = await uow.holds.due(now=now, limit=limit)
            for hold in due:
                expired = replace(hold, status=HoldStatus.EXPIRED)
                if await uow.holds.replace(expired, expected_status=HoldStatus.ACTIVE):
                    await _let_go(uow, hold, actor, now)
            await uow.commit()
        return len(due)

    async def _visible(
        self, uow: SchedulingUnitOfWork, actor: Actor, hold_id: str, action: str
    ) -> Hold:
        return await self._gate.reveal(
            uow,
            actor,
            action,
            await uow.holds.get(hold_id),
            resource_id=hold_id,
            missing=HoldNotFound(hold_id),
            may_see=lambda hold: access.can_see(
                actor,
                patient_id=hold.patient_id,
                doctor_id=hold.doctor_id,
                country_id=hold.country_id,
            ),
        )


async def claim_hold(uow: SchedulingUnitOfWork, hold: Hold, now: datetime) -> None:
    """Claim the hold's time (SlotTaken if it is not free) and store the hold."""
    claim = SlotClaim(
        id=new_id(),
        kind=ClaimKind.HOLD,
        owner_id=hold.id,
        doctor_id=hold.doctor_id,
        patient_id=hold.patient_id,
        start=hold.start,
        end=hold.end,
        expires_at=hold.expires_at,
    )
    await uow.slot_claims.claim(claim, now=now)
    await uow.holds.add(hold)


async def _let_go(uow: SchedulingUnitOfWork, hold: Hold, actor: Actor, now: datetime) -> None:
    """Free a hold's slot; a lapsed waitlist offer puts its patient back in line."""
    await uow.slot_claims.release_owner(hold.id)
    if hold.waitlist_entry_id is not None:
        entry = await uow.waitlist.get(hold.waitlist_entry_id)
        if entry is not None and entry.status is WaitStatus.OFFERED:
            waiting: WaitlistEntry = replace(entry, status=WaitStatus.WAITING, updated_at=now)
            await uow.waitlist.replace(waiting, expected_status=WaitStatus.OFFERED)
    uow.record(
        SlotFreed(
            aggregate_id=hold.doctor_id,
            occurred_at=now,
            actor_id=actor.id,
            country_id=hold.country_id,
            start=hold.start,
            end=hold.end,
        )
    )
