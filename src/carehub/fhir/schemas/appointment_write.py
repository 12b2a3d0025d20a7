"""An Appointment taken in (`POST`): a request to book, which carehub's booking use case
decides (a taken slot is a 409, never a double booking).

carehub books a patient with a practitioner at a start (the end defaults to one slot of
the doctor's); the start may come from a Slot (`slot`, as carehub serves them). Status is
what the client asks for (`proposed`, `pending` or `booked`): the country's booking mode
decides what the appointment becomes. Anything else is refused, naming the element.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from carehub.fhir.resources.schedule import parse_slot_id
from carehub.fhir.schemas.write_datatypes import FhirId, FhirWrite, Instant, Meta, Reference
from carehub.kernel.errors import FieldError, Invalid
from carehub.scheduling.service import BookingRequest


class Participant(FhirWrite):
    actor: Reference
    status: Literal["accepted", "tentative", "needs-action"] | None = None
    required: Literal["required", "optional", "information-only"] | None = None


class AppointmentWrite(FhirWrite):
    """The elements of an Appointment carehub books from."""

    resource_type: Literal["Appointment"]
    id: FhirId | None = None
    meta: Meta | None = None
    status: Literal["proposed", "pending", "booked"]
    start: Instant | None = None
    end: Instant | None = None
    slot: Annotated[list[Reference], Field(min_length=1, max_length=1)] | None = None
    participant: Annotated[list[Participant], Field(min_length=2, max_length=3)]

    def booking(self) -> BookingRequest:
        """The booking this asks for: the patient, the practitioner and the start."""
        patient = self._one("Patient")
        doctor = self._one("Practitioner")
        start, end = _moment(self.start, "start"), _moment(self.end, "end")
        if self.slot is not None:
            parsed = parse_slot_id(self.slot[0].id_of("slot[0]", "Slot"))
            if parsed is None or parsed[0] != doctor:
                raise _invalid("slot[0]", "must be a Slot of the practitioner's Schedule")
            if start is not None and start != parsed[1]:
                raise _invalid("start", "must be the slot's start")
            start = parsed[1]
        if start is None:
            raise _invalid("start", "is required (or a slot)")
        return BookingRequest(patient_id=patient, doctor_id=doctor, start=start, end=end)

    def _one(self, resource_type: str) -> str:
        found = [
            p.actor.id_of("participant.actor", resource_type)
            for p in self.participant
            if p.actor.reference.startswith(f"{resource_type}/")
        ]
        if len(found) != 1:
            raise _invalid("participant", f"must name exactly one {resource_type}")
        return found[0]


def _moment(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(field, "is not a valid instant") from None


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(f"{field} {message}", errors=[FieldError(field, message)])
