"""The hash-chained audit trail and its per-patient index."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.tables.base import BigId, Json, Timestamp, metadata

audit_entries = sa.Table(
    "audit_entries",
    metadata,
    # INTEGER on SQLite, so that it is the rowid rather than an index beside it.
    sa.Column("seq", BigId, primary_key=True, autoincrement=False),
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
# On SQLite the primary key is the table (no rowid b-tree beside it).
audit_patients = sa.Table(
    "audit_patients",
    metadata,
    sa.Column("patient_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sqlite_with_rowid=False,
)

audit_chain_head = sa.Table(
    "audit_chain_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
