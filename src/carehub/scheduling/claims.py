"""Slot claims: the rows the store uses to refuse double bookings.

Every live appointment and every unexpired hold owns one claim on its time range. The
store refuses a claim that overlaps another owner's claim for the same doctor or the same
patient (a PostgreSQL exclusion constraint, a SQLite trigger, a conditional write), so
two concurrent bookings can never both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class ClaimKind(StrEnum):
    APPOINTMENT = "appointment"
    HOLD = "hold"


@dataclass(frozen=True, kw_only=True)
class SlotClaim:
    """[start, end) of a doctor's (and, when known, a patient's) time, owned by one
    appointment or hold. A hold's claim stops counting at `expires_at`."""

    id: str
    kind: ClaimKind
    owner_id: str
    doctor_id: str
    patient_id: str | None
    start: datetime
    end: datetime
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError("a claim ends after it starts")
        if (self.kind is ClaimKind.HOLD) != (self.expires_at is not None):
            raise ValueError("holds, and only holds, expire")


class BusyInterval(NamedTuple):
    """A claimed range of one doctor's or patient's time, as availability sees it. A
    tuple, cheaper to make than a frozen dataclass: a month of a doctor is hundreds."""

    start: datetime
    end: datetime
    owner_id: str
