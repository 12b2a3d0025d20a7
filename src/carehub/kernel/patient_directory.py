"""The patients domain as other domains read it (a reader port): who a patient is to
scheduling and documents, and whether a doctor has them in care."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PatientContact:
    """What other domains read about a patient: their country, and where to notify them."""

    patient_id: str
    country_id: str
    active: bool
    email: str | None
    phone: str | None
    display_name: str


class PatientDirectory(Protocol):
    async def contact(self, patient_id: str) -> PatientContact | None: ...

    async def in_care_of(self, practitioner_id: str, patient_id: str) -> bool: ...
