"""What every use case touching health data records for the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from carehub.kernel.actor import Actor


class Outcome(StrEnum):
    ALLOWED = "allowed"
    # Refused by an access rule (the client saw 403, or 404 to hide the record).
    DENIED = "denied"
    # Nothing with that id exists.
    NOT_FOUND = "not_found"
    # Allowed, but refused by another rule (a stale version, invalid values).
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True)
class AccessRecord:
    """One access to health data (or one refused attempt), before it is chained.

    `action` is `<resource>.<verb>` such as `patient.read`; `patient_ids` names whose data
    it touched (every patient a list returned), so each can see it in their access log.
    """

    actor: Actor
    action: str
    resource_type: str
    resource_id: str | None
    patient_ids: tuple[str, ...] = ()
    outcome: Outcome = Outcome.ALLOWED
    at: datetime
