"""The scheduling domain's events: ids, codes, statuses and slot times, never health data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from typing_extensions import TypedDict

from carehub.kernel.events import DomainEvent

STATUS_CHANGED = "scheduling.appointment_status_changed.v1"
SLOT_FREED = "scheduling.slot_freed.v1"
OFFER_MADE = "scheduling.waitlist_offer_made.v1"


class StatusChangedPayload(TypedDict):
    appointmentId: str
    countryId: str
    doctorId: str
    patientId: str
    status: str
    action: str
    version: int


@dataclass(frozen=True, kw_only=True)
class AppointmentStatusChanged(DomainEvent):
    """An appointment was requested, or moved on its lifecycle (`action` says how)."""

    event_type = STATUS_CHANGED
    country_id: str
    doctor_id: str
    patient_id: str
    status: str
    action: str
    version: int

    def payload(self) -> StatusChangedPayload:
        return {
            "appointmentId": self.aggregate_id,
            "countryId": self.country_id,
            "doctorId": self.doctor_id,
            "patientId": self.patient_id,
            "status": self.status,
            "action": self.action,
            "version": self.version,
        }


class SlotFreedPayload(TypedDict):
    doctorId: str
    countryId: str
    start: str
    end: str


@dataclass(frozen=True, kw_only=True)
class SlotFreed(DomainEvent):
    """A doctor's time became free again (a cancellation, a rejection, a reschedule's old
    slot, an expired or released hold); the waitlist offers it. Keyed by the doctor."""

    event_type = SLOT_FREED
    country_id: str
    start: datetime
    end: datetime

    def payload(self) -> SlotFreedPayload:
        return {
            "doctorId": self.aggregate_id,
            "countryId": self.country_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


class OfferPayload(TypedDict):
    entryId: str
    holdId: str
    patientId: str
    doctorId: str
    countryId: str


@dataclass(frozen=True, kw_only=True)
class WaitlistOfferMade(DomainEvent):
    """A waiting patient was offered a freed slot: a hold in their name, for a few minutes."""

    event_type = OFFER_MADE
    hold_id: str
    patient_id: str
    doctor_id: str
    country_id: str

    def payload(self) -> OfferPayload:
        return {
            "entryId": self.aggregate_id,
            "holdId": self.hold_id,
            "patientId": self.patient_id,
            "doctorId": self.doctor_id,
            "countryId": self.country_id,
        }
