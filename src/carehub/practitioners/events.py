"""What the practitioners domain tells the others: events with ids and versions only."""

from __future__ import annotations

from dataclasses import dataclass

from typing_extensions import TypedDict

from carehub.kernel.events import DomainEvent


class DoctorPayload(TypedDict):
    doctorId: str
    countryId: str
    version: int


@dataclass(frozen=True, kw_only=True)
class DoctorChanged(DomainEvent):
    """A doctor was added, or their details or hours changed."""

    event_type = "practitioners.doctor_changed.v1"
    country_id: str
    version: int

    def payload(self) -> DoctorPayload:
        return {
            "doctorId": self.aggregate_id,
            "countryId": self.country_id,
            "version": self.version,
        }
