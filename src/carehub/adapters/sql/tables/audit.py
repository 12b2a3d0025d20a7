"""The hash-chained audit trail, its per-patient index and the head of each shard."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.tables.base import Json, Timestamp, metadata

# One row per entry; each shard is its own chain, in `seq` order. Searches list entries
# newest first by (at, shard, seq), which every index below ends with. On SQLite the primary
# key is the table (no rowid b-tree beside it).
audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("shard", sa.Integer, primary_key=True, autoincrement=False),
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
    # The heads of other shards this entry names ([[shard, seq, hash], ...]); mostly NULL.
    sa.Column("links", Json),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_entries_at_shard_seq", "at", "shard", "seq"),
    sa.Index("ix_audit_entries_actor_id_at_shard_seq", "actor_id", "at", "shard", "seq"),
    sa.Index("ix_audit_entries_action_at_shard_seq", "action", "at", "shard", "seq"),
    sqlite_with_rowid=False,
)

# Which patients each entry touched (a list touches several): the access log's index, in
# the trail's order. On SQLite the primary key is the table.
audit_patients = sa.Table(
    "audit_patients",
    metadata,
    sa.Column("patient_id", sa.String(64), primary_key=True),
    sa.Column("at", Timestamp, primary_key=True),
    sa.Column("shard", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)

# The head of each shard (its last entry's seq and hash), kept apart from the entries: it
# reveals removed tail entries, and appends to a shard serialise on its row.
audit_chain_head = sa.Table(
    "audit_chain_head",
    metadata,
    sa.Column("shard", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
