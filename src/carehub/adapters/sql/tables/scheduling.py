"""Slot claims, countries, doctors, appointments with their history, holds and the waitlist."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.tables.base import Json, Timestamp, metadata, search_key

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
    # Not unique: records sharing a code share its rule set (seed 001 adds "002" for CL).
    sa.Column("code", sa.String(2), nullable=False, index=True),
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
    # Imports find a practitioner again by license (migration 0016).
    sa.Index("ix_doctors_license_id", "license", "id"),
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
