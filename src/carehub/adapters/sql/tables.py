"""Table definitions shared by the queries and the migrations."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

Json = sa.JSON().with_variant(JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def search_key(length: int) -> sa.types.TypeEngine[str]:
    """Text compared by code point on every backend, so `prefix <= k < prefix+U+10FFFF`
    is exactly a prefix match (PostgreSQL's locale collations would break that)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


patients = sa.Table(
    "patients",
    metadata,
    # An integer key that SQLite's full-text index can point at (a text key's rowid may
    # change on VACUUM); ids stay the public, unique handle.
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("mrn", sa.String(32), nullable=False),
    sa.Column("country_id", sa.String(32), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name_text", sa.Text, nullable=False),
    sa.Column("given_names", Json, nullable=False),
    sa.Column("family_name", sa.Text),
    sa.Column("birth_date", sa.Date),
    sa.Column("birth_date_estimated", sa.Boolean, nullable=False),
    sa.Column("sex", sa.String(16)),
    sa.Column("email", sa.Text),
    sa.Column("phone", sa.Text),
    sa.Column("address", Json),
    # Folded copies that the list filters match against (served by the indexes below).
    sa.Column("address_search", search_key(1024)),
    sa.Column("city_search", search_key(256)),
    sa.Column("identifiers", Json, nullable=False),
    sa.Column("conditions", Json, nullable=False),
    sa.Column("allergies", Json, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("country_id", "mrn"),
    sa.Index("ix_patients_country_id_id", "country_id", "id"),
    sa.Index("ix_patients_city_search_id", "city_search", "id"),
    sa.Index("ix_patients_birth_date_id", "birth_date", "id"),
)

patient_name_tokens = sa.Table(
    "patient_name_tokens",
    metadata,
    sa.Column("token", search_key(128), primary_key=True),
    sa.Column(
        "patient_id",
        sa.String(64),
        sa.ForeignKey("patients.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Index("ix_patient_name_tokens_patient_id", "patient_id"),
)

patient_condition_terms = sa.Table(
    "patient_condition_terms",
    metadata,
    sa.Column("term", search_key(256), primary_key=True),
    sa.Column(
        "patient_id",
        sa.String(64),
        sa.ForeignKey("patients.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Index("ix_patient_condition_terms_patient_id", "patient_id"),
)

patient_identifiers = sa.Table(
    "patient_identifiers",
    metadata,
    sa.Column("system", sa.String(256), primary_key=True),
    sa.Column("value", sa.String(256), primary_key=True),
    sa.Column(
        "patient_id",
        sa.String(64),
        sa.ForeignKey("patients.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Index("ix_patient_identifiers_patient_id", "patient_id"),
)

mrn_counters = sa.Table(
    "mrn_counters",
    metadata,
    sa.Column("country_id", sa.String(32), primary_key=True),
    sa.Column("last_value", sa.BigInteger, nullable=False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("event_type", sa.String(128), nullable=False),
    sa.Column("aggregate_id", sa.String(64), nullable=False),
    sa.Column("actor_id", sa.String(128), nullable=False),
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Column("published_at", Timestamp),
    sa.Index(
        "ix_outbox_unpublished",
        "seq",
        sqlite_where=sa.text("published_at IS NULL"),
        postgresql_where=sa.text("published_at IS NULL"),
    ),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("scope", sa.String(256), primary_key=True),
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("resource_id", sa.String(64)),
    sa.Column("status", sa.Integer),
    sa.Column("body", sa.LargeBinary),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index("ix_idempotency_keys_created_at", "created_at"),
)

care_relationships = sa.Table(
    "care_relationships",
    metadata,
    sa.Column("practitioner_id", sa.String(64), primary_key=True),
    sa.Column(
        "patient_id",
        sa.String(64),
        sa.ForeignKey("patients.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Index("ix_care_relationships_patient_id", "patient_id"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("country_id", sa.String(32)),
    sa.Column("patient_id", sa.String(64)),
    sa.Column("practitioner_id", sa.String(64)),
    sa.Column("password_hash", sa.Text),
    sa.Column("failed_logins", sa.Integer, nullable=False),
    sa.Column("locked_until", Timestamp),
    sa.Column("signup_profile", Json),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_users_role", "role"),
)

refresh_sessions = sa.Table(
    "refresh_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("family_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("issued_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("rotated_at", Timestamp),
    sa.Column("revoked_at", Timestamp),
    sa.Index("ix_refresh_sessions_family_id", "family_id"),
    sa.Index("ix_refresh_sessions_user_id", "user_id"),
)

otp_challenges = sa.Table(
    "otp_challenges",
    metadata,
    sa.Column("email", sa.String(254), primary_key=True),
    sa.Column("purpose", sa.String(16), primary_key=True),
    sa.Column("code_hash", sa.Text, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("consumed_at", Timestamp),
)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("algorithm", sa.String(16), nullable=False),
    sa.Column("private_pem", sa.Text, nullable=False),
    sa.Column("public_jwk", Json, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    # Set when a newer key takes over signing; the key keeps verifying until tokens it
    # signed have expired.
    sa.Column("superseded_at", Timestamp),
)

audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("actor_id", sa.String(128), nullable=False),
    sa.Column("actor_role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("resource_type", sa.String(64), nullable=False),
    sa.Column("resource_id", sa.String(128)),
    sa.Column("patient_ids", Json, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("request_id", sa.String(64)),
    sa.Column("client_address", sa.String(64)),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_entries_actor_id_seq", "actor_id", "seq"),
    sa.Index("ix_audit_entries_action_seq", "action", "seq"),
    sa.Index("ix_audit_entries_at", "at"),
)

# Which patients each entry touched (a list touches several): the access log's index.
audit_patients = sa.Table(
    "audit_patients",
    metadata,
    sa.Column("patient_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
)

audit_chain_head = sa.Table(
    "audit_chain_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# --- the event backbone ---------------------------------------------------------------------

# Leases name the one process that runs a loop at a time (the outbox relay), with failover.
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(128), nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
)

# A consumer's record of each event it has applied, written with the effect.
processed_messages = sa.Table(
    "processed_messages",
    metadata,
    sa.Column("consumer", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("processed_at", Timestamp, nullable=False),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("consumer", sa.String(64), nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("event_type", sa.String(128), nullable=False),
    sa.Column("aggregate_id", sa.String(64), nullable=False),
    sa.Column("actor_id", sa.String(128), nullable=False),
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=False),
    sa.Column("parked_at", Timestamp, nullable=False),
    sa.Column("replayed_at", Timestamp),
    sa.UniqueConstraint("consumer", "event_id"),
)

# De-identified daily counters: a metric, one dimension value (a country, a category), a day.
analytics_daily = sa.Table(
    "analytics_daily",
    metadata,
    sa.Column("metric", sa.String(64), primary_key=True),
    sa.Column("dimension", sa.String(128), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
)

webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("event_types", Json, nullable=False),
    sa.Column("secret", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("consecutive_failures", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "subscription_id",
        sa.String(36),
        sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("event_type", sa.String(128), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", Timestamp, nullable=False),
    sa.Column("claimed_until", Timestamp),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("finished_at", Timestamp),
    sa.UniqueConstraint("subscription_id", "event_id"),
    # A subscription's deliveries, newest first (`GET /webhooks/{id}/deliveries`).
    sa.Index("ix_webhook_deliveries_subscription_id_id", "subscription_id", "id"),
    sa.Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    ),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column(
        "delivery_id",
        sa.String(36),
        sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("attempt", sa.Integer, primary_key=True),
    sa.Column("subscription_id", sa.String(36), nullable=False),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("error", sa.Text),
    sa.Index("ix_webhook_attempts_subscription_id_at", "subscription_id", "at"),
)

# One row per live appointment or hold on a doctor's (and a patient's) time. Overlaps
# between owners are refused by the store itself (migration 0005): an exclusion constraint
# on PostgreSQL, triggers on SQLite.
slot_claims = sa.Table(
    "slot_claims",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("owner_id", sa.String(64), nullable=False),
    sa.Column("doctor_id", sa.String(64), nullable=False),
    sa.Column("patient_id", sa.String(64)),
    sa.Column("starts_at", Timestamp, nullable=False),
    sa.Column("ends_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp),
    sa.Index("ix_slot_claims_doctor_id_starts_at", "doctor_id", "starts_at"),
    sa.Index("ix_slot_claims_patient_id_starts_at", "patient_id", "starts_at"),
    sa.Index("ix_slot_claims_owner_id", "owner_id"),
    sa.Index("ix_slot_claims_kind_expires_at", "kind", "expires_at"),
)

countries = sa.Table(
    "countries",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("code", sa.String(2), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("time_zones", Json, nullable=False),
    sa.Column("locale", sa.String(8), nullable=False),
    sa.Column("rules", Json, nullable=False),
    sa.Column("texts", Json, nullable=False),
    sa.Column("closed_dates", Json, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

doctors = sa.Table(
    "doctors",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("country_id", sa.String(32), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("specialty", sa.Text, nullable=False),
    sa.Column("specialty_key", search_key(128), nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("weekly", Json, nullable=False),
    sa.Column("overrides", Json, nullable=False),
    sa.Column("slot_minutes", sa.Integer),
    sa.Column("license", sa.String(64)),
    sa.Column("email", sa.Text),
    sa.Column("phone", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    # `GET /doctors?countryId=&specialty=` and `GET /availability`.
    sa.Index("ix_doctors_country_id_specialty_key_id", "country_id", "specialty_key", "id"),
)

appointments = sa.Table(
    "appointments",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("country_id", sa.String(32), nullable=False),
    sa.Column("doctor_id", sa.String(64), nullable=False),
    sa.Column("patient_id", sa.String(64), nullable=False),
    sa.Column("starts_at", Timestamp, nullable=False),
    sa.Column("ends_at", Timestamp, nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("mode", sa.String(8), nullable=False),
    sa.Column("claim_id", sa.String(64)),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    # Seed 001's indexes: by country, doctor and patient, each ordered by start time.
    sa.Index("ix_appointments_country_id_starts_at_id", "country_id", "starts_at", "id"),
    sa.Index("ix_appointments_doctor_id_starts_at_id", "doctor_id", "starts_at", "id"),
    sa.Index("ix_appointments_patient_id_starts_at_id", "patient_id", "starts_at", "id"),
    sa.Index("ix_appointments_status_starts_at_id", "status", "starts_at", "id"),
)

appointment_transitions = sa.Table(
    "appointment_transitions",
    metadata,
    sa.Column(
        "appointment_id",
        sa.String(64),
        sa.ForeignKey("appointments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("step", sa.Integer, primary_key=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("actor_id", sa.String(128), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("from_status", sa.String(16)),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
)

holds = sa.Table(
    "holds",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("country_id", sa.String(32), nullable=False),
    sa.Column("doctor_id", sa.String(64), nullable=False),
    sa.Column("patient_id", sa.String(64), nullable=False),
    sa.Column("starts_at", Timestamp, nullable=False),
    sa.Column("ends_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("waitlist_entry_id", sa.String(64)),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    # Lapsed waitlist offers of one slot (the next patient in line gets it).
    sa.Index("ix_holds_doctor_id_starts_at", "doctor_id", "starts_at"),
    sa.Index(
        "ix_holds_due",
        "expires_at",
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    ),
)

waitlist_entries = sa.Table(
    "waitlist_entries",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("patient_id", sa.String(64), nullable=False),
    sa.Column("country_id", sa.String(32), nullable=False),
    sa.Column("doctor_id", sa.String(64)),
    sa.Column("specialty_key", search_key(128)),
    sa.Column("earliest", Timestamp, nullable=False),
    sa.Column("latest", Timestamp, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("offered_hold_id", sa.String(64)),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    # First come, first offered: waiting entries per doctor, and per specialty in a country.
    sa.Index(
        "ix_waitlist_entries_doctor_waiting",
        "doctor_id",
        "created_at",
        sqlite_where=sa.text("status = 'waiting'"),
        postgresql_where=sa.text("status = 'waiting'"),
    ),
    sa.Index(
        "ix_waitlist_entries_specialty_waiting",
        "country_id",
        "specialty_key",
        "created_at",
        sqlite_where=sa.text("status = 'waiting'"),
        postgresql_where=sa.text("status = 'waiting'"),
    ),
    sa.Index("ix_waitlist_entries_patient_id_id", "patient_id", "id"),
)
