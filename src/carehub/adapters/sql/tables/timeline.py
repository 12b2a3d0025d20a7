"""The patient timeline: a projection of events, and the journal of the events it was fed,
which `carehub timeline rebuild` replays."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.tables.base import Json, Timestamp, metadata

timeline_entries = sa.Table(
    "timeline_entries",
    metadata,
    sa.Column("patient_id", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(64), primary_key=True),  # one entry per event
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Column("entry_type", sa.String(16), nullable=False),
    sa.Column("data", Json, nullable=False),
    # The first page and each next one: newest first, the event id breaking ties.
    sa.Index(
        "ix_timeline_entries_patient_id_occurred_at_event_id",
        "patient_id",
        "occurred_at",
        "event_id",
    ),
)

timeline_journal = sa.Table(
    "timeline_journal",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("patient_id", sa.String(64), nullable=False),
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Column("message", Json, nullable=False),  # the event as it travelled (ids and codes)
    # A replay reads a patient's events (or everyone's) in the order they happened.
    sa.Index("ix_timeline_journal_patient_id_occurred_at", "patient_id", "occurred_at", "event_id"),
    sa.Index("ix_timeline_journal_occurred_at_event_id", "occurred_at", "event_id"),
)
