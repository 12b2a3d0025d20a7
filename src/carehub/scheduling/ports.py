"""What the scheduling domain needs from storage."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from carehub.scheduling.claims import BusyInterval, SlotClaim


class SlotClaims(Protocol):
    """Claims on doctors' and patients' time inside a unit of work.

    Writes join the unit's transaction and last only if it commits; reads see committed
    claims and this unit's own writes. The store, not a read before the write, refuses a
    claim that overlaps another owner's claim for the same doctor or the same patient.
    """

    async def claim(self, claim: SlotClaim, *, now: datetime) -> None:
        """Insert the claim. Expired hold claims overlapping it (same doctor or same
        patient, expires_at <= now) are deleted first in the same transaction. Raises
        SlotTaken("doctor"|"patient") when the store refuses it; a refused claim writes
        nothing (not even those deletions) and the unit can still commit its other work.
        """
        ...

    async def release(self, claim_id: str) -> bool:
        """Delete one claim in the unit's transaction; False when there was none."""
        ...

    async def release_owner(self, owner_id: str) -> int:
        """Delete every claim of an appointment or hold in the unit's transaction; returns
        how many there were."""
        ...

    async def busy(
        self, *, doctor_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[BusyInterval]:
        """The doctor's live claims (appointments, and holds not expired at `now`) that
        overlap [start, end), ordered by start. A read: it locks nothing."""
        ...

    async def patient_busy(
        self, *, patient_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[BusyInterval]:
        """The patient's live claims that overlap [start, end), ordered by start."""
        ...

    async def expired_holds(self, *, now: datetime, limit: int) -> list[SlotClaim]:
        """Up to `limit` hold claims expired at `now`, oldest expiry first (for the
        sweeper, which releases them in units of its own)."""
        ...
