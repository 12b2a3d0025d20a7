"""An Appointment sent back whole (`PUT`): the appointment as carehub served it, with
the status the client wants it moved to.

The model takes the elements carehub serves of an appointment and nothing else (an
element it does not serve is refused, naming it): what a PUT may change is decided
against the stored appointment (`fhir/appointment_update.py`). `meta` is carehub's own,
and a participant's `status` and `required` are what carehub derives from the
appointment's status: neither is read.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt, StringConstraints

from carehub.fhir.schemas.write_datatypes import (
    Code,
    FhirId,
    FhirWrite,
    Instant,
    Label,
    Meta,
    Reference,
    Uri,
)
from carehub.scheduling.model import MAX_MINUTES
from carehub.web.text import MANY_LINES

# R4's AppointmentStatus, every code: the ones carehub does not take are refused with the
# reason, not as an unknown code.
AppointmentStatusCode = Literal[
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
]
# The longest reason the native API takes with an action.
MAX_REASON = 500


class ParticipantSent(FhirWrite):
    actor: Reference
    required: Literal["required", "optional", "information-only"] | None = None
    status: Literal["accepted", "declined", "tentative", "needs-action"]


class ReasonCoding(FhirWrite):
    system: Uri | None = None
    code: Code | None = None
    display: Label | None = None


class CancelationReason(FhirWrite):
    coding: Annotated[list[ReasonCoding], Field(min_length=1, max_length=1)] | None = None
    text: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_REASON), MANY_LINES] | None
    ) = None


class AppointmentUpdate(FhirWrite):
    """The elements carehub serves of an Appointment."""

    resource_type: Literal["Appointment"]
    id: FhirId | None = None
    meta: Meta | None = None
    status: AppointmentStatusCode
    cancelation_reason: CancelationReason | None = None
    start: Instant
    end: Instant | None = None
    minutes_duration: Annotated[StrictInt, Field(ge=1, le=MAX_MINUTES)] | None = None
    created: Instant | None = None
    participant: Annotated[list[ParticipantSent], Field(min_length=1, max_length=3)]
