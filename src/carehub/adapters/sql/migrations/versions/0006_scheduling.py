"""Countries, doctors, appointments with their history, holds and the waitlist.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def search_key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "countries",
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
    op.create_table(
        "doctors",
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
    op.create_table(
        "appointments",
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
    op.create_table(
        "appointment_transitions",
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
    op.create_table(
        "holds",
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
    op.create_table(
        "waitlist_entries",
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


def downgrade() -> None:
    op.drop_table("waitlist_entries")
    op.drop_table("holds")
    op.drop_table("appointment_transitions")
    op.drop_table("appointments")
    op.drop_table("doctors")
    op.drop_table("countries")
