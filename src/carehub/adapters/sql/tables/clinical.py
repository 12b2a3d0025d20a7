"""The clinical record: every item (notes, medications, tasks, checklists) in one table,
each change of one in `clinical_revisions`, and the checklist templates admins define."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.tables.base import Json, Timestamp, metadata

_TASKS = sa.text("assignee_id IS NOT NULL")

# The item as it stands now: its fields in `data`, with the columns its lists are read by.
clinical_items = sa.Table(
    "clinical_items",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("patient_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("assignee_id", sa.String(128)),  # tasks only
    sa.Column("due_at", Timestamp),  # tasks only
    sa.Column("data", Json, nullable=False),
    # `for_patient`: one kind of a patient's items, newest first (ids are time-ordered);
    # the status filter is checked on the rows as they are read.
    sa.Index("ix_clinical_items_patient_id_kind_id", "patient_id", "kind", "id"),
    # `assigned_to`: a user's tasks, soonest due first.
    sa.Index(
        "ix_clinical_items_assignee_id_due_at_id",
        "assignee_id",
        "due_at",
        "id",
        sqlite_where=_TASKS,
        postgresql_where=_TASKS,
    ),
)

# Every version of every item, append-only: what an item said before each change.
clinical_revisions = sa.Table(
    "clinical_revisions",
    metadata,
    sa.Column("item_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("actor_id", sa.String(128), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("data", Json, nullable=False),
)

checklist_templates = sa.Table(
    "checklist_templates",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("data", Json, nullable=False),
)
