"""Appointment use cases: book, read, move along the lifecycle, reschedule and find.

The store refuses double bookings (slot claims); nothing here reads before it writes to
decide whether a time is free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from carehub.countries.lookup import find_country
from carehub.countries.model import Country
from carehub.countries.rules import BookingMode
from carehub.kernel.access_gate import AccessGate, outcome_of
from carehub.kernel.actor import Actor, Role
from carehub.kernel.calendar import RuleViolation
from carehub.kernel.clock import Clock
from carehub.kernel.errors import CarehubError, Conflict, FieldError, Forbidden, Invalid, NotFound
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.ids import new_id
from carehub.kernel.pagination import Page, check_limit
from carehub.kernel.patient_directory import PatientContact
from carehub.practitioners.lookup import find_doctor
from carehub.practitioners.model import Doctor
from carehub.scheduling import access
from carehub.scheduling.booking_rules import check_bookable, slot_minutes, violations
from carehub.scheduling.claims import ClaimKind, SlotClaim
from carehub.scheduling.errors import AppointmentChanged, AppointmentNotFound, HoldNotFound
from carehub.scheduling.events import AppointmentStatusChanged, SlotFreed
from carehub.scheduling.model import (
    APPOINTMENT_ID,
    RELEASED,
    Action,
    Appointment,
    HoldStatus,
    Status,
    Transition,
    WaitStatus,
    check_times,
)
from carehub.scheduling.ports import AppointmentFilter, SchedulingUnitOfWork


@dataclass(frozen=True, kw_only=True)
class BookingRequest:
    """What a client sends to book: a doctor, a patient and a start (the end defaults to
    one slot); `hold_id` turns a hold into the booking."""

    patient_id: str
    doctor_id: str
    start: datetime
    end: datetime | None = None
    appointment_id: str | None = None
    country_id: str | None = None
    hold_id: str | None = None
    start_field: str = "start"  # the start's name as the client sent it


class AppointmentService:
    """Booking appointments and moving them through their lifecycle."""

    def __init__(self, uow_factory: Callable[[], SchedulingUnitOfWork], clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._gate = AccessGate(clock, "appointment")

    async def book(
        self,
        *,
        actor: Actor,
        request: BookingRequest,
        idempotency: IdempotencyClaim | None = None,
    ) -> Appointment:
        """Book: confirmed at once (synchronous countries) or pending until the country's
        queue confirms or rejects it (asynchronous ones)."""
        try:
            return await self._book(actor, request, idempotency)
        except CarehubError as exc:
            async with self._uow() as uow:
                # The ids are the caller's claims, not records they were shown: list none.
                await self._gate.refuse(
                    uow, actor, "appointment.create", None, outcome_of(exc), request.appointment_id
                )
            raise

    async def _book(
        self, actor: Actor, request: BookingRequest, idempotency: IdempotencyClaim | None
    ) -> Appointment:
        now = self._clock.now()
        if request.appointment_id is not None and not APPOINTMENT_ID.fullmatch(
            request.appointment_id
        ):
            raise Invalid(
                "appointmentId is not a valid id",
                errors=[FieldError("appointmentId", "1-64 letters, digits, '.', '_' or '-'")],
            )
        async with self._uow() as uow:
            doctor, country, patient = await self._parties(uow, actor, request)
            end = request.end or request.start + timedelta(minutes=slot_minutes(country, doctor))
            check_times(request.start, end, request.start_field)
            check_bookable(
                country,
                doctor,
                request.start,
                end,
                now=now,
                also=_country_mismatch(request, country),
                start_field=request.start_field,
            )
            appointment_id = request.appointment_id or new_id()
            if request.hold_id is not None:
                await self._take_hold(uow, request, end, patient.patient_id, now)
            claim = SlotClaim(
                id=new_id(),
                kind=ClaimKind.APPOINTMENT,
                owner_id=appointment_id,
                doctor_id=doctor.id,
                patient_id=patient.patient_id,
                start=request.start,
                end=end,
            )
            await uow.slot_claims.claim(claim, now=now)
            asked = Transition(now, actor.id, "request", None, Status.REQUESTED)
            synchronous = country.rules.booking_mode is BookingMode.SYNC
            then = Status.CONFIRMED if synchronous else Status.PENDING
            step = Transition(
                now, actor.id, "confirm" if synchronous else "queue", asked.to_status, then
            )
            appointment = Appointment(
                id=appointment_id,
                country_id=country.id,
                doctor_id=doctor.id,
                patient_id=patient.patient_id,
                start=request.start,
                end=end,
                time_zone=doctor.time_zone,
                status=then,
                mode=country.rules.booking_mode.value,
                claim_id=claim.id,
                history=(asked, step),
                created_at=now,
                updated_at=now,
            )
            await uow.appointments.add(appointment)
            uow.record(_status_changed(appointment, actor, "request"))
            uow.audit(self._gate.allowed(actor, "appointment.create", appointment))
            if idempotency is not None:
                uow.claim_idempotency(idempotency)
            await uow.commit()
        return appointment

    async def get(self, *, actor: Actor, appointment_id: str) -> Appointment:
        """One appointment with its history."""
        async with self._uow() as uow:
            appointment = await self._visible(uow, actor, appointment_id, "appointment.read")
            uow.audit(self._gate.allowed(actor, "appointment.read", appointment))
            await uow.commit()
        return appointment

    async def act(
        self,
        *,
        actor: Actor,
        appointment_id: str,
        action: Action,
        reason: str | None = None,
        override_window: bool = False,
        if_version: int | None = None,
    ) -> Appointment:
        """Confirm, cancel, check in, complete or mark a no-show; 409 names the allowed.
        With `if_version`, only if the appointment is still the version the caller read
        (412 otherwise)."""
        now = self._clock.now()
        verb = f"appointment.{action.value.replace('-', '_')}"
        async with self._uow() as uow:
            current = await self._visible(uow, actor, appointment_id, verb)
            async with self._gate.checking(
                uow, actor, verb, patient_id=current.patient_id, resource_id=current.id
            ):
                access.check_can_act(actor, action)
                if if_version is not None and current.version != if_version:
                    raise AppointmentChanged(current.id)
                if action is Action.CANCEL:
                    country = await find_country(uow.countries, current.country_id)
                    self._check_cancellation_window(actor, country, current, now, override_window)
                moved = current.moved(action, actor_id=actor.id, at=now, reason=reason)
            await self._store(uow, moved, current.version)
            if moved.status in RELEASED and current.claim_id is not None:
                await self._free(uow, moved, actor, now)
            uow.record(_status_changed(moved, actor, action.value))
            if override_window and action is Action.CANCEL:
                verb = "appointment.cancel_override"
            uow.audit(self._gate.allowed(actor, verb, moved))
            await uow.commit()
        return moved

    async def reschedule(
        self,
        *,
        actor: Actor,
        appointment_id: str,
        start: datetime,
        end: datetime | None,
        reason: str | None = None,
        start_field: str = "start",
    ) -> Appointment:
        """Move an appointment: the new time is claimed before the old one is let go;
        `start_field` is the start's name as the client sent it."""
        now = self._clock.now()
        async with self._uow() as uow:
            current = await self._visible(uow, actor, appointment_id, "appointment.reschedule")
            async with self._gate.checking(
                uow,
                actor,
                "appointment.reschedule",
                patient_id=current.patient_id,
                resource_id=current.id,
            ):
                access.check_can_act(actor, Action.RESCHEDULE)
                doctor = await find_doctor(uow.doctors, current.doctor_id)
                country = await find_country(uow.countries, current.country_id)
                new_end = end or start + (current.end - current.start)
                check_times(start, new_end, start_field)
                check_bookable(country, doctor, start, new_end, now=now, start_field=start_field)
                claim = SlotClaim(
                    id=new_id(),
                    kind=ClaimKind.APPOINTMENT,
                    owner_id=current.id,
                    doctor_id=current.doctor_id,
                    patient_id=current.patient_id,
                    start=start,
                    end=new_end,
                )
                moved = current.rescheduled(
                    start=start,
                    end=new_end,
                    claim_id=claim.id,
                    actor_id=actor.id,
                    at=now,
                    reason=reason,
                )
                await uow.slot_claims.claim(claim, now=now)
            if current.claim_id is not None:
                await uow.slot_claims.release(current.claim_id)
                uow.record(_freed(current, actor, now))
            await self._store(uow, moved, current.version)
            uow.record(_status_changed(moved, actor, "reschedule"))
            uow.audit(self._gate.allowed(actor, "appointment.reschedule", moved))
            await uow.commit()
        return moved

    async def search(
        self, *, actor: Actor, criteria: AppointmentFilter, cursor: str | None, limit: int
    ) -> Page[Appointment]:
        """Appointments by country, doctor, patient, status and start range, by start time."""
        check_limit(limit)
        narrowed = _scoped(actor, criteria)
        async with self._uow() as uow:
            if narrowed is not None and narrowed.country_id is not None:
                narrowed = replace(
                    narrowed, country_id=(await find_country(uow.countries, narrowed.country_id)).id
                )
            page: Page[Appointment] = Page([], None)
            if narrowed is not None and _consistent(actor, narrowed):
                page = await uow.appointments.search(narrowed, cursor=cursor, limit=limit)
            patient_ids = tuple(dict.fromkeys(a.patient_id for a in page.items))
            uow.audit(self._gate.listed(actor, "appointment.list", patient_ids))
            await uow.commit()
        return page

    async def process_request(
        self, *, uow: SchedulingUnitOfWork, appointment_id: str, actor: Actor
    ) -> None:
        """The country's queue: confirm a pending appointment if its rules still allow it,
        reject it with the reasons otherwise. A repeat finds it settled and does nothing."""
        now = self._clock.now()
        current = await uow.appointments.get(appointment_id)
        if current is None or current.status is not Status.PENDING:
            return
        doctor = await find_doctor(uow.doctors, current.doctor_id)
        country = await find_country(uow.countries, current.country_id)
        asked_at = current.history[0].at if current.history else current.created_at
        found = violations(country, doctor, current.start, current.end, now=now, asked_at=asked_at)
        if found:
            reason = "; ".join(f"{v.rule}: {v.message}" for v in found)
            moved = current.moved(Action.REJECT, actor_id=actor.id, at=now, reason=reason)
        else:
            moved = current.moved(Action.CONFIRM, actor_id=actor.id, at=now)
        await self._store(uow, moved, current.version)
        if moved.status in RELEASED:
            await self._free(uow, moved, actor, now)
        uow.record(_status_changed(moved, actor, "reject" if found else "confirm"))
        uow.audit(
            self._gate.allowed(actor, f"appointment.{'reject' if found else 'confirm'}", moved)
        )

    async def _parties(
        self, uow: SchedulingUnitOfWork, actor: Actor, request: BookingRequest
    ) -> tuple[Doctor, Country, PatientContact]:
        doctor = await find_doctor(uow.doctors, request.doctor_id)
        if not doctor.active:
            raise Invalid(
                "The doctor no longer takes appointments",
                errors=[FieldError("doctorId", "inactive")],
            )
        country = await find_country(uow.countries, doctor.country_id)
        patient = await uow.patient_directory.contact(request.patient_id)
        if patient is None or (
            actor.role is Role.PATIENT and actor.patient_id != patient.patient_id
        ):
            raise NotFound(f"Patient {request.patient_id} does not exist")
        access.check_can_book(
            actor, patient_id=patient.patient_id, doctor_id=doctor.id, country_id=country.id
        )
        if not patient.active:
            raise Invalid(
                "The patient record is inactive", errors=[FieldError("patientId", "inactive")]
            )
        return doctor, country, patient

    async def _take_hold(
        self,
        uow: SchedulingUnitOfWork,
        request: BookingRequest,
        end: datetime,
        patient_id: str,
        now: datetime,
    ) -> None:
        """Turn the hold into this booking: same doctor, patient and time, still live."""
        assert request.hold_id is not None
        hold = await uow.holds.get(request.hold_id)
        if hold is None or hold.patient_id != patient_id:
            raise HoldNotFound(request.hold_id)
        if (hold.doctor_id, hold.start, hold.end) != (request.doctor_id, request.start, end):
            raise Invalid(
                "The booking does not match its hold",
                errors=[FieldError("holdId", "book the hold's doctor, start and end")],
            )
        if not hold.live(now) or not await uow.holds.replace(
            replace(hold, status=HoldStatus.BOOKED), expected_status=HoldStatus.ACTIVE
        ):
            raise Conflict("The hold has expired or was used; hold the slot again")
        await uow.slot_claims.release_owner(hold.id)
        if hold.waitlist_entry_id is not None:
            entry = await uow.waitlist.get(hold.waitlist_entry_id)
            if entry is not None and entry.status is WaitStatus.OFFERED:
                booked = replace(entry, status=WaitStatus.BOOKED, updated_at=now)
                await uow.waitlist.replace(booked, expected_status=WaitStatus.OFFERED)

    def _check_cancellation_window(
        self,
        actor: Actor,
        country: Country,
        appointment: Appointment,
        now: datetime,
        override: bool,
    ) -> None:
        if override and not access.may_override_window(actor):
            raise Forbidden("Only admins may cancel inside the cancellation window")
        window = timedelta(hours=country.rules.cancellation_window_hours)
        if appointment.start - now < window and not override:
            raise Conflict(
                f"Appointments in {country.code} can be cancelled up to "
                f"{country.rules.cancellation_window_hours} h before they start"
            )

    async def _visible(
        self, uow: SchedulingUnitOfWork, actor: Actor, appointment_id: str, action: str
    ) -> Appointment:
        return await self._gate.reveal(
            uow,
            actor,
            action,
            await uow.appointments.get(appointment_id),
            resource_id=appointment_id,
            missing=AppointmentNotFound(appointment_id),
            may_see=lambda appointment: access.can_see_appointment(actor, appointment),
        )

    async def _store(self, uow: SchedulingUnitOfWork, moved: Appointment, version: int) -> None:
        if not await uow.appointments.replace(moved, expected_version=version):
            raise Conflict(f"Appointment {moved.id} was changed at the same time; read it again")

    async def _free(
        self, uow: SchedulingUnitOfWork, appointment: Appointment, actor: Actor, now: datetime
    ) -> None:
        await uow.slot_claims.release_owner(appointment.id)
        uow.record(_freed(appointment, actor, now))


def _country_mismatch(request: BookingRequest, country: Country) -> list[RuleViolation]:
    """Seed 001's body names a country; it must be the doctor's (by id or ISO code)."""
    if request.country_id is None or request.country_id in (country.id, country.code):
        return []
    message = (
        f"The doctor practises in country {country.id} ({country.code}), not {request.country_id}"
    )
    return [RuleViolation("country_mismatch", message)]


def _scoped(actor: Actor, criteria: AppointmentFilter) -> AppointmentFilter | None:
    """The criteria narrowed to what the actor may see; None when nothing can match."""
    if actor.unrestricted:
        return criteria
    if actor.role is Role.PATIENT and actor.patient_id:
        if criteria.patient_id not in (None, actor.patient_id):
            return None
        return replace(criteria, patient_id=actor.patient_id)
    if actor.role is Role.DOCTOR and actor.practitioner_id:
        if criteria.doctor_id not in (None, actor.practitioner_id):
            return None
        return replace(criteria, doctor_id=actor.practitioner_id)
    if actor.role is Role.STAFF and actor.country_id:
        return (
            criteria
            if criteria.country_id is not None
            else replace(criteria, country_id=actor.country_id)
        )
    return None


def _consistent(actor: Actor, criteria: AppointmentFilter) -> bool:
    """Staff asking about another country get nothing (checked once ids are resolved)."""
    return actor.role is not Role.STAFF or criteria.country_id == actor.country_id


def _status_changed(
    appointment: Appointment, actor: Actor, action: str
) -> AppointmentStatusChanged:
    return AppointmentStatusChanged(
        aggregate_id=appointment.id,
        occurred_at=appointment.updated_at,
        actor_id=actor.id,
        country_id=appointment.country_id,
        doctor_id=appointment.doctor_id,
        patient_id=appointment.patient_id,
        status=appointment.status.value,
        action=action,
        version=appointment.version,
    )


def _freed(appointment: Appointment, actor: Actor, now: datetime) -> SlotFreed:
    return SlotFreed(
        aggregate_id=appointment.doctor_id,
        occurred_at=now,
        actor_id=actor.id,
        country_id=appointment.country_id,
        start=appointment.start,
        end=appointment.end,
    )
