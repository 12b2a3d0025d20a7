"""The in-memory store behind the memory adapters; a unit of work snapshots and restores it."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

from carehub.audit.model import AuditEntry
from carehub.kernel.events import DomainEvent
from carehub.kernel.idempotency import IdempotencyClaim, StoredOutcome
from carehub.patients.model import Patient


@dataclass
class IdempotencyEntry:
    claim: IdempotencyClaim
    outcome: StoredOutcome
    created_at: datetime


@dataclass
class MemoryStore:
    patients: dict[str, Patient] = field(default_factory=dict)
    identifiers: dict[tuple[str, str], str] = field(default_factory=dict)
    mrns: dict[tuple[str, str], str] = field(default_factory=dict)
    mrn_counters: dict[str, int] = field(default_factory=dict)
    outbox: list[DomainEvent] = field(default_factory=list)
    idempotency: dict[tuple[str, str], IdempotencyEntry] = field(default_factory=dict)
    care: set[tuple[str, str]] = field(default_factory=set)
    audit: list[AuditEntry] = field(default_factory=list)

    def snapshot(self) -> MemoryStore:
        return MemoryStore(
            patients=dict(self.patients),
            identifiers=dict(self.identifiers),
            mrns=dict(self.mrns),
            mrn_counters=dict(self.mrn_counters),
            outbox=list(self.outbox),
            idempotency=copy.copy(self.idempotency),
            care=set(self.care),
            audit=list(self.audit),
        )

    def restore(self, snapshot: MemoryStore) -> None:
        self.patients = snapshot.patients
        self.identifiers = snapshot.identifiers
        self.mrns = snapshot.mrns
        self.mrn_counters = snapshot.mrn_counters
        self.outbox = snapshot.outbox
        self.idempotency = snapshot.idempotency
        self.care = snapshot.care
        self.audit = snapshot.audit
