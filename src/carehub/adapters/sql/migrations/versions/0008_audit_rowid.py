"""SQLite: fewer b-trees per audit entry. `audit_entries.seq` becomes the rowid (a BIGINT
primary key is a separate index beside the rowid), and `audit_patients` is stored WITHOUT
ROWID (its primary key is the table). Every audited read commits fewer pages. PostgreSQL
is unchanged.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COPY_ENTRIES = """INSERT INTO audit_entries_rebuilt
SELECT seq, at, actor_id, actor_role, action, resource_type, resource_id, patient_ids,
    outcome, request_id, client_address, prev_hash, hash
FROM audit_entries"""
_ENTRIES = """CREATE TABLE audit_entries_rebuilt (
    seq {seq} NOT NULL,
    at DATETIME NOT NULL,
    actor_id VARCHAR(128) NOT NULL,
    actor_role VARCHAR(16) NOT NULL,
    action VARCHAR(64) NOT NULL,
    resource_type VARCHAR(64) NOT NULL,
    resource_id VARCHAR(128),
    patient_ids JSON NOT NULL,
    outcome VARCHAR(16) NOT NULL,
    request_id VARCHAR(64),
    client_address VARCHAR(64),
    prev_hash VARCHAR(64) NOT NULL,
    hash VARCHAR(64) NOT NULL,
    CONSTRAINT pk_audit_entries PRIMARY KEY (seq)
)"""
_PATIENTS = """CREATE TABLE audit_patients_rebuilt (
    patient_id VARCHAR(64) NOT NULL,
    seq BIGINT NOT NULL,
    CONSTRAINT pk_audit_patients PRIMARY KEY (patient_id, seq)
){options}"""
_INDEXES = (
    "CREATE INDEX ix_audit_entries_actor_id_seq ON audit_entries (actor_id, seq)",
    "CREATE INDEX ix_audit_entries_action_seq ON audit_entries (action, seq)",
    "CREATE INDEX ix_audit_entries_at ON audit_entries (at)",
)
_GUARDS = tuple(
    f"CREATE TRIGGER audit_entries_no_{verb.lower()} BEFORE {verb} ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"
    for verb in ("UPDATE", "DELETE")
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(seq_type="INTEGER", patients_options=" WITHOUT ROWID")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(seq_type="BIGINT", patients_options="")


def _rebuild(*, seq_type: str, patients_options: str) -> None:
    """Copy both tables into their new shape; the triggers and indexes go with the old
    tables and are made again."""
    op.execute(_ENTRIES.format(seq=seq_type))
    op.execute(_COPY_ENTRIES)
    op.execute("DROP TABLE audit_entries")
    op.execute("ALTER TABLE audit_entries_rebuilt RENAME TO audit_entries")
    for statement in (*_INDEXES, *_GUARDS):
        op.execute(statement)
    op.execute(_PATIENTS.format(options=patients_options))
    op.execute("INSERT INTO audit_patients_rebuilt SELECT patient_id, seq FROM audit_patients")
    op.execute("DROP TABLE audit_patients")
    op.execute("ALTER TABLE audit_patients_rebuilt RENAME TO audit_patients")
