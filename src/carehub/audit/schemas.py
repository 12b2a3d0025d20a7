"""Audit entries on the wire."""

from __future__ import annotations

from datetime import datetime

from carehub.audit.model import AuditEntry
from carehub.web.schemas import CursorPage, WireModel


class AuditEntryRead(WireModel):
    """One entry of the trail: the `seq`-th of its `shard`'s hash chain."""

    shard: int
    seq: int
    at: datetime
    actor_id: str
    actor_role: str
    action: str
    resource_type: str
    resource_id: str | None
    patient_ids: list[str]
    outcome: str
    request_id: str | None
    client_address: str | None
    hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryRead:
        return cls(
            shard=entry.shard,
            seq=entry.seq,
            at=entry.at,
            actor_id=entry.actor_id,
            actor_role=entry.actor_role,
            action=entry.action,
            resource_type=entry.resource_type,
            resource_id=entry.resource_id,
            patient_ids=list(entry.patient_ids),
            outcome=entry.outcome,
            request_id=entry.request_id,
            client_address=entry.client_address,
            hash=entry.hash,
        )


class AccessLogEntryRead(WireModel):
    """What a patient sees: who touched their record, when, what they did."""

    at: datetime
    actor_id: str
    actor_role: str
    action: str
    outcome: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AccessLogEntryRead:
        return cls(
            at=entry.at,
            actor_id=entry.actor_id,
            actor_role=entry.actor_role,
            action=entry.action,
            outcome=entry.outcome,
        )


class AuditPage(CursorPage[AuditEntryRead]):
    """One page of audit entries, newest first."""


class AccessLogPage(CursorPage[AccessLogEntryRead]):
    """One page of a patient's access log, newest first."""
