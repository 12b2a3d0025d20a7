"""The clinical record (items, their revisions, checklist templates), the patient timeline
(entries and the journal of events it was fed), and the item a file is attached to.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(JSONB(), "postgresql")
_TASKS = sa.text("assignee_id IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "clinical_items",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("assignee_id", sa.String(128)),
        sa.Column("due_at", Timestamp),
        sa.Column("data", Json, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clinical_items"),
    )
    op.create_index(
        "ix_clinical_items_patient_id_kind_id", "clinical_items", ["patient_id", "kind", "id"]
    )
    op.create_index(
        "ix_clinical_items_assignee_id_due_at_id",
        "clinical_items",
        ["assignee_id", "due_at", "id"],
        sqlite_where=_TASKS,
        postgresql_where=_TASKS,
    )
    op.create_table(
        "clinical_revisions",
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("data", Json, nullable=False),
        sa.PrimaryKeyConstraint("item_id", "version", name="pk_clinical_revisions"),
    )
    op.create_table(
        "checklist_templates",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_checklist_templates"),
    )
    op.create_table(
        "timeline_entries",
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("entry_type", sa.String(16), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.PrimaryKeyConstraint("patient_id", "event_id", name="pk_timeline_entries"),
    )
    op.create_index(
        "ix_timeline_entries_patient_id_occurred_at_event_id",
        "timeline_entries",
        ["patient_id", "occurred_at", "event_id"],
    )
    op.create_table(
        "timeline_journal",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("message", Json, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_timeline_journal"),
    )
    op.create_index(
        "ix_timeline_journal_patient_id_occurred_at",
        "timeline_journal",
        ["patient_id", "occurred_at", "event_id"],
    )
    op.create_index(
        "ix_timeline_journal_occurred_at_event_id",
        "timeline_journal",
        ["occurred_at", "event_id"],
    )
    with op.batch_alter_table("patient_files") as batch:
        batch.add_column(sa.Column("item_id", sa.String(64)))
    op.create_index("ix_patient_files_item_id", "patient_files", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_patient_files_item_id", table_name="patient_files")
    with op.batch_alter_table("patient_files") as batch:
        batch.drop_column("item_id")
    for table in (
        "timeline_journal",
        "timeline_entries",
        "checklist_templates",
        "clinical_revisions",
        "clinical_items",
    ):
        op.drop_table(table)
