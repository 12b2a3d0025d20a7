"""A doctor's bookable time: one Schedule per doctor (with the doctor's id) and its Slots.

carehub computes slots from the doctor's hours and keeps none, so a Slot's id says where
it is: `{doctor id}.{start as yyyymmddHHMM in UTC}` (slots start on whole minutes). With a
doctor id of at most 51 letters, digits, '-' or '.' it fits FHIR's 64 characters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from carehub.fhir.wire import instant, meta, reference
from carehub.practitioners.model import Doctor

SlotStatus = Literal["busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"]

_STAMP = "%Y%m%d%H%M"
_SLOT_ID = re.compile(r"(?P<doctor>[A-Za-z0-9\-.]{1,51})\.(?P<start>\d{12})")


def schedule_resource(
    doctor: Doctor, *, planning_horizon: tuple[datetime, datetime] | None = None
) -> dict[str, Any]:
    """The doctor's Schedule; `planning_horizon` is how far ahead it can be booked, when
    the caller knows (today and the country's booking horizon)."""
    resource: dict[str, Any] = {
        "resourceType": "Schedule",
        "id": doctor.id,
        "meta": meta(doctor.version, doctor.updated_at),
        "active": doctor.active,
        "specialty": [{"text": doctor.specialty}],
        "actor": [reference("Practitioner", doctor.id), reference("Location", doctor.country_id)],
    }
    if planning_horizon is not None:
        start, end = planning_horizon
        resource["planningHorizon"] = {"start": instant(start), "end": instant(end)}
    return resource


def slot_id(doctor_id: str, start: datetime) -> str:
    """The id of the doctor's slot starting at `start`."""
    return f"{doctor_id}.{start.astimezone(UTC).strftime(_STAMP)}"


def parse_slot_id(resource_id: str) -> tuple[str, datetime] | None:
    """The doctor id and start (UTC) a Slot id names; None if it is not one."""
    match = _SLOT_ID.fullmatch(resource_id)
    if match is None:
        return None
    try:
        start = datetime.strptime(match["start"], _STAMP).replace(tzinfo=UTC)
    except ValueError:  # twelve digits that are no time, such as a 13th month
        return None
    return match["doctor"], start


def slot_resource(
    doctor_id: str, start: datetime, end: datetime, status: SlotStatus
) -> dict[str, Any]:
    """One slot of the doctor's Schedule."""
    return {
        "resourceType": "Slot",
        "id": slot_id(doctor_id, start),
        "schedule": reference("Schedule", doctor_id),
        "status": status,
        "start": instant(start),
        "end": instant(end),
    }
