"""Slot claims: the rows that refuse double bookings of a doctor or a patient.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)

# owner_id WITH <> lets one appointment hold its old and its new claim while it is
# rescheduled in one transaction.
_POSTGRES_EXCLUSIONS = (
    "ALTER TABLE slot_claims ADD CONSTRAINT ex_slot_claims_doctor EXCLUDE USING gist "
    "(doctor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&, owner_id WITH <>)",
    "ALTER TABLE slot_claims ADD CONSTRAINT ex_slot_claims_patient EXCLUDE USING gist "
    "(patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&, owner_id WITH <>) "
    "WHERE (patient_id IS NOT NULL)",
)

# SQLite has one writer at a time, so a check in a trigger cannot race another insert.
# Timestamps are ISO-8601 text in UTC, so text comparison orders them.
_DOCTOR_OVERLAP = """
    SELECT RAISE(ABORT, 'slot_claims_doctor_overlap') WHERE EXISTS (
        SELECT 1 FROM slot_claims
        WHERE doctor_id = NEW.doctor_id
          AND starts_at < NEW.ends_at AND ends_at > NEW.starts_at
          AND owner_id <> NEW.owner_id
          AND id <> NEW.id
    );"""
_PATIENT_OVERLAP = """
    SELECT RAISE(ABORT, 'slot_claims_patient_overlap') WHERE NEW.patient_id IS NOT NULL
    AND EXISTS (
        SELECT 1 FROM slot_claims
        WHERE patient_id = NEW.patient_id
          AND starts_at < NEW.ends_at AND ends_at > NEW.starts_at
          AND owner_id <> NEW.owner_id
          AND id <> NEW.id
    );"""
_SQLITE_TRIGGERS = {
    "slot_claims_no_overlap_insert": "BEFORE INSERT ON slot_claims",
    "slot_claims_no_overlap_update": "BEFORE UPDATE ON slot_claims",
}


def upgrade() -> None:
    op.create_table(
        "slot_claims",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("doctor_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64)),
        sa.Column("starts_at", Timestamp, nullable=False),
        sa.Column("ends_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp),
        sa.PrimaryKeyConstraint("id", name="pk_slot_claims"),
    )
    op.create_index("ix_slot_claims_doctor_id_starts_at", "slot_claims", ["doctor_id", "starts_at"])
    op.create_index(
        "ix_slot_claims_patient_id_starts_at", "slot_claims", ["patient_id", "starts_at"]
    )
    op.create_index("ix_slot_claims_owner_id", "slot_claims", ["owner_id"])
    op.create_index("ix_slot_claims_kind_expires_at", "slot_claims", ["kind", "expires_at"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for statement in _POSTGRES_EXCLUSIONS:
            op.execute(statement)
    elif dialect == "sqlite":
        for name, when in _SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN"
                f"{_DOCTOR_OVERLAP}{_PATIENT_OVERLAP}\nEND"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("ALTER TABLE slot_claims DROP CONSTRAINT IF EXISTS ex_slot_claims_patient")
        op.execute("ALTER TABLE slot_claims DROP CONSTRAINT IF EXISTS ex_slot_claims_doctor")
        # btree_gist stays: it is database-wide and other schemas may use it.
    op.drop_index("ix_slot_claims_kind_expires_at", table_name="slot_claims")
    op.drop_index("ix_slot_claims_owner_id", table_name="slot_claims")
    op.drop_index("ix_slot_claims_patient_id_starts_at", table_name="slot_claims")
    op.drop_index("ix_slot_claims_doctor_id_starts_at", table_name="slot_claims")
    op.drop_table("slot_claims")
