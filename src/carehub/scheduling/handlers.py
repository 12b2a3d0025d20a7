"""Reactions to scheduling events: the country queues, the waitlist and the notices."""

from __future__ import annotations

from datetime import datetime

from carehub.kernel.actor import Actor
from carehub.kernel.events import EventMessage
from carehub.scheduling.events import OFFER_MADE, SLOT_FREED, STATUS_CHANGED
from carehub.scheduling.notifications import Notice, Notifier
from carehub.scheduling.ports import SchedulingUnitOfWork
from carehub.scheduling.service import AppointmentService
from carehub.scheduling.waitlist import WaitlistService

REQUEST_EVENTS = frozenset({STATUS_CHANGED})
WAITLIST_EVENTS = frozenset({SLOT_FREED})
NOTICE_EVENTS = frozenset({STATUS_CHANGED, OFFER_MADE})


class ProcessRequests:
    """A country's queue: settles the pending bookings of that country."""

    def __init__(self, appointments: AppointmentService) -> None:
        self._appointments = appointments

    async def __call__(self, message: EventMessage, uow: SchedulingUnitOfWork) -> None:
        data = message.payload
        if message.event_type != STATUS_CHANGED or data.get("status") != "pending":
            return
        country = str(data.get("countryId"))
        await self._appointments.process_request(
            uow=uow,
            appointment_id=message.aggregate_id,
            actor=Actor.system(f"bookings-{country}"),
        )


class OfferFreedSlots:
    """The waitlist: a freed slot goes, as a hold, to the first patient waiting for it."""

    def __init__(self, waitlist: WaitlistService) -> None:
        self._waitlist = waitlist

    async def __call__(self, message: EventMessage, uow: SchedulingUnitOfWork) -> None:
        if message.event_type != SLOT_FREED:
            return
        data = message.payload
        await self._waitlist.offer_freed_slot(
            uow=uow,
            doctor_id=str(data["doctorId"]),
            start=datetime.fromisoformat(str(data["start"])),
            end=datetime.fromisoformat(str(data["end"])),
            actor=Actor.system("waitlist"),
        )


class SendNotices:
    """Notices to the patient and the doctor on every status change and waitlist offer."""

    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    async def __call__(self, message: EventMessage, uow: SchedulingUnitOfWork) -> None:
        data = message.payload
        if message.event_type == STATUS_CHANGED:
            appointment = await uow.appointments.get(message.aggregate_id)
            if appointment is None or appointment.version != data.get("version"):
                return  # a later change has its own notice
            key = "rescheduled" if data.get("action") == "reschedule" else appointment.status.value
            notice = Notice(key, appointment.id, appointment.start, appointment.status_reason)
            await self._notifier.send(
                uow,
                notice,
                doctor_id=appointment.doctor_id,
                patient_id=appointment.patient_id,
                country_id=appointment.country_id,
            )
        elif message.event_type == OFFER_MADE:
            hold = await uow.holds.get(str(data["holdId"]))
            if hold is None:
                return
            notice = Notice("offer", hold.id, hold.start, expires_at=hold.expires_at)
            await self._notifier.send(
                uow,
                notice,
                doctor_id=hold.doctor_id,
                patient_id=hold.patient_id,
                country_id=hold.country_id,
            )
