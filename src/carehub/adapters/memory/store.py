"""The in-memory store behind the memory adapters; a unit of work snapshots and restores it.

Every table holds immutable records (frozen dataclasses), so a shallow copy of each table
is a complete snapshot.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from datetime import datetime

from carehub.audit.model import AuditEntry, ChainHead
from carehub.audit.shards import AuditShards
from carehub.clinical.checklists import ChecklistTemplate
from carehub.clinical.model import RecordItem, Revision
from carehub.countries.model import Country
from carehub.documents.model import PatientFile, Stamp
from carehub.identity.model import OtpChallenge, OtpPurpose, RefreshSession, User
from carehub.kernel.events import DomainEvent, EventMessage
from carehub.kernel.idempotency import IdempotencyClaim, StoredOutcome
from carehub.patients.model import Patient
from carehub.patients.search import SearchDocument
from carehub.practitioners.model import Doctor
from carehub.scheduling.claims import SlotClaim
from carehub.scheduling.model import Appointment, Hold, WaitlistEntry
from carehub.timeline.model import TimelineEntry


@dataclass
class IdempotencyEntry:
    claim: IdempotencyClaim
    outcome: StoredOutcome
    created_at: datetime


@dataclass
class MemoryStore:
    # patients
    patients: dict[str, Patient] = field(default_factory=dict)
    patient_versions: dict[tuple[str, int], Patient] = field(default_factory=dict)
    identifiers: dict[tuple[str, str], str] = field(default_factory=dict)
    mrns: dict[tuple[str, str], str] = field(default_factory=dict)
    mrn_counters: dict[str, int] = field(default_factory=dict)
    care: set[tuple[str, str]] = field(default_factory=set)
    search_documents: dict[str, SearchDocument] = field(default_factory=dict)
    # what every unit of work writes
    outbox: list[DomainEvent] = field(default_factory=list)
    idempotency: dict[tuple[str, str], IdempotencyEntry] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)  # every shard's, in commit order
    # Kept apart from the entries, as the SQL stores keep them: they reveal removed tails.
    audit_heads: dict[int, ChainHead] = field(default_factory=dict)
    # identity
    users: dict[str, User] = field(default_factory=dict)
    sessions: dict[str, RefreshSession] = field(default_factory=dict)
    otps: dict[tuple[str, OtpPurpose], OtpChallenge] = field(default_factory=dict)
    # countries, doctors and scheduling
    countries: dict[str, Country] = field(default_factory=dict)
    doctors: dict[str, Doctor] = field(default_factory=dict)
    appointments: dict[str, Appointment] = field(default_factory=dict)
    holds: dict[str, Hold] = field(default_factory=dict)
    waitlist: dict[str, WaitlistEntry] = field(default_factory=dict)
    slot_claims: dict[str, SlotClaim] = field(default_factory=dict)
    # documents
    storage_keys: dict[str, str] = field(default_factory=dict)
    files: dict[str, PatientFile] = field(default_factory=dict)
    stamps: dict[str, Stamp] = field(default_factory=dict)
    # the clinical record
    clinical_items: dict[str, RecordItem] = field(default_factory=dict)
    clinical_revisions: dict[tuple[str, int], Revision[RecordItem]] = field(default_factory=dict)
    checklist_templates: dict[str, ChecklistTemplate] = field(default_factory=dict)
    # the timeline: entries by (patient, event id), journaled events by id with their patient
    timeline_entries: dict[tuple[str, str], TimelineEntry] = field(default_factory=dict)
    timeline_journal: dict[str, tuple[str, EventMessage]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Bookkeeping of the units of work, not tables: no snapshot holds or restores it.
        self.commits = 0
        self.last_commit: MemoryStore | None = None
        # The writer its units of work share, as a process's do (one shard, as on SQLite).
        self.audit_shards = AuditShards(1)

    def snapshot(self) -> MemoryStore:
        return MemoryStore(**{f.name: copy.copy(getattr(self, f.name)) for f in fields(self)})

    def restore(self, snapshot: MemoryStore) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(snapshot, f.name))
