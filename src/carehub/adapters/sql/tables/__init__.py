"""Table definitions shared by the queries and the migrations, one module per domain.

Every table joins the one `metadata`; importing this package defines them all.
"""

from __future__ import annotations

from carehub.adapters.sql.tables.analytics import analytics_daily
from carehub.adapters.sql.tables.audit import audit_chain_head, audit_entries, audit_patients
from carehub.adapters.sql.tables.base import BigId, Json, Timestamp, metadata, search_key
from carehub.adapters.sql.tables.clinical import (
    checklist_templates,
    clinical_items,
    clinical_revisions,
)
from carehub.adapters.sql.tables.documents import (
    document_stamps,
    patient_files,
    patient_storage_keys,
)
from carehub.adapters.sql.tables.identity import (
    otp_challenges,
    refresh_sessions,
    signing_keys,
    users,
)
from carehub.adapters.sql.tables.patients import (
    care_relationships,
    mrn_counters,
    patient_condition_terms,
    patient_identifiers,
    patient_name_tokens,
    patient_versions,
    patients,
)
from carehub.adapters.sql.tables.platform import (
    dead_letters,
    idempotency_keys,
    leases,
    outbox,
    processed_messages,
)
from carehub.adapters.sql.tables.scheduling import (
    appointment_transitions,
    appointments,
    countries,
    doctors,
    holds,
    slot_claims,
    waitlist_entries,
)
from carehub.adapters.sql.tables.search import patient_search_terms, patient_search_words
from carehub.adapters.sql.tables.timeline import timeline_entries, timeline_journal
from carehub.adapters.sql.tables.webhooks import (
    webhook_attempts,
    webhook_deliveries,
    webhook_subscriptions,
)

__all__ = [
    "BigId",
    "Json",
    "Timestamp",
    "analytics_daily",
    "appointment_transitions",
    "appointments",
    "audit_chain_head",
    "audit_entries",
    "audit_patients",
    "care_relationships",
    "checklist_templates",
    "clinical_items",
    "clinical_revisions",
    "countries",
    "dead_letters",
    "doctors",
    "document_stamps",
    "holds",
    "idempotency_keys",
    "leases",
    "metadata",
    "mrn_counters",
    "otp_challenges",
    "outbox",
    "patient_condition_terms",
    "patient_files",
    "patient_identifiers",
    "patient_name_tokens",
    "patient_search_terms",
    "patient_search_words",
    "patient_storage_keys",
    "patient_versions",
    "patients",
    "processed_messages",
    "refresh_sessions",
    "search_key",
    "signing_keys",
    "slot_claims",
    "timeline_entries",
    "timeline_journal",
    "users",
    "waitlist_entries",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_subscriptions",
]
