"""The audit trail in shards: each shard is its own hash chain, so appends on several
shards no longer queue on one head row. `audit_entries` gains `shard` (its primary key is
now (shard, seq)) and `links` (the heads of other shards an entry names); the entries
written before are shard 0, unchanged, and keep verifying. `audit_chain_head` holds one row
per shard (`id` becomes `shard`; the single chain's row becomes shard 0's). Entries and the
per-patient index are listed in the trail's order, (at, shard, seq). The append-only
triggers stay (PostgreSQL alters the table in place; SQLite rebuilds it and makes them
again).

Downgrading works only while every entry is in shard 0 without links.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_OLD_INDEXES = (
    ("ix_audit_entries_actor_id_seq", "actor_id, seq"),
    ("ix_audit_entries_action_seq", "action, seq"),
    ("ix_audit_entries_at", "at"),
)
_NEW_INDEXES = (
    ("ix_audit_entries_at_shard_seq", "at, shard, seq"),
    ("ix_audit_entries_actor_id_at_shard_seq", "actor_id, at, shard, seq"),
    ("ix_audit_entries_action_at_shard_seq", "action, at, shard, seq"),
)
_SQLITE_GUARDS = tuple(
    f"CREATE TRIGGER audit_entries_no_{verb.lower()} BEFORE {verb} ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"
    for verb in ("UPDATE", "DELETE")
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgres_upgrade()
    op.execute("ALTER TABLE audit_chain_head RENAME COLUMN id TO shard")
    op.execute("UPDATE audit_chain_head SET shard = 0")  # the single chain's row, id 1


def downgrade() -> None:
    bind = op.get_bind()
    sharded = bind.exec_driver_sql(
        "SELECT count(*) FROM audit_entries WHERE shard <> 0 OR links IS NOT NULL"
    ).scalar()
    if sharded:
        raise RuntimeError(
            f"{sharded} audit entries are in shards other than 0 or carry links: "
            "a single-chain trail cannot hold them"
        )
    op.execute("DELETE FROM audit_chain_head WHERE shard <> 0")
    op.execute("UPDATE audit_chain_head SET shard = 1")
    op.execute("ALTER TABLE audit_chain_head RENAME COLUMN shard TO id")
    if bind.dialect.name == "sqlite":
        _sqlite_downgrade()
    else:
        _postgres_downgrade()


def _postgres_upgrade() -> None:
    # ADD COLUMN with a constant default rewrites no row, so no UPDATE trigger fires.
    op.execute("ALTER TABLE audit_entries ADD COLUMN shard INTEGER NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE audit_entries ALTER COLUMN shard DROP DEFAULT")
    op.execute("ALTER TABLE audit_entries ADD COLUMN links JSONB")
    op.execute(
        "ALTER TABLE audit_entries DROP CONSTRAINT pk_audit_entries, "
        "ADD CONSTRAINT pk_audit_entries PRIMARY KEY (shard, seq)"
    )
    _replace_indexes(_OLD_INDEXES, _NEW_INDEXES)
    op.execute("ALTER TABLE audit_patients ADD COLUMN shard INTEGER NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE audit_patients ALTER COLUMN shard DROP DEFAULT")
    op.execute("ALTER TABLE audit_patients ADD COLUMN at TIMESTAMP WITH TIME ZONE")
    op.execute(
        "UPDATE audit_patients p SET at = e.at FROM audit_entries e "
        "WHERE e.shard = 0 AND e.seq = p.seq"
    )
    op.execute("ALTER TABLE audit_patients ALTER COLUMN at SET NOT NULL")
    op.execute(
        "ALTER TABLE audit_patients DROP CONSTRAINT pk_audit_patients, "
        "ADD CONSTRAINT pk_audit_patients PRIMARY KEY (patient_id, at, shard, seq)"
    )


def _postgres_downgrade() -> None:
    op.execute(
        "ALTER TABLE audit_patients DROP CONSTRAINT pk_audit_patients, "
        "ADD CONSTRAINT pk_audit_patients PRIMARY KEY (patient_id, seq)"
    )
    op.execute("ALTER TABLE audit_patients DROP COLUMN at, DROP COLUMN shard")
    _replace_indexes(_NEW_INDEXES, _OLD_INDEXES)
    op.execute(
        "ALTER TABLE audit_entries DROP CONSTRAINT pk_audit_entries, "
        "ADD CONSTRAINT pk_audit_entries PRIMARY KEY (seq)"
    )
    # Dropping columns rewrites no row either.
    op.execute("ALTER TABLE audit_entries DROP COLUMN links, DROP COLUMN shard")


def _replace_indexes(old: tuple[tuple[str, str], ...], new: tuple[tuple[str, str], ...]) -> None:
    for name, _ in old:
        op.execute(f"DROP INDEX {name}")
    for name, columns in new:
        op.execute(f"CREATE INDEX {name} ON audit_entries ({columns})")


def _sqlite_upgrade() -> None:
    """Copy both tables into their new shape (the triggers and indexes go with the old
    tables and are made again)."""
    op.execute(f"""CREATE TABLE audit_entries_rebuilt (
    shard INTEGER NOT NULL,
    seq BIGINT NOT NULL,
    {_ENTRY_DEFINITIONS},
    links JSON,
    prev_hash VARCHAR(64) NOT NULL,
    hash VARCHAR(64) NOT NULL,
    CONSTRAINT pk_audit_entries PRIMARY KEY (shard, seq)
) WITHOUT ROWID""")
    op.execute("""INSERT INTO audit_entries_rebuilt
SELECT 0, seq, at, actor_id, actor_role, action, resource_type, resource_id, patient_ids,
    outcome, request_id, client_address, NULL, prev_hash, hash
FROM audit_entries""")
    _swap_entries(_NEW_INDEXES)
    op.execute("""CREATE TABLE audit_patients_rebuilt (
    patient_id VARCHAR(64) NOT NULL,
    at DATETIME NOT NULL,
    shard INTEGER NOT NULL,
    seq BIGINT NOT NULL,
    CONSTRAINT pk_audit_patients PRIMARY KEY (patient_id, at, shard, seq)
) WITHOUT ROWID""")
    op.execute("""INSERT INTO audit_patients_rebuilt
SELECT p.patient_id, e.at, 0, p.seq FROM audit_patients p
JOIN audit_entries e ON e.shard = 0 AND e.seq = p.seq""")
    _swap_patients()


def _sqlite_downgrade() -> None:
    # As migration 0008 left them: seq the rowid, the per-patient index without one.
    op.execute(f"""CREATE TABLE audit_entries_rebuilt (
    seq INTEGER NOT NULL,
    {_ENTRY_DEFINITIONS},
    prev_hash VARCHAR(64) NOT NULL,
    hash VARCHAR(64) NOT NULL,
    CONSTRAINT pk_audit_entries PRIMARY KEY (seq)
)""")
    op.execute("""INSERT INTO audit_entries_rebuilt
SELECT seq, at, actor_id, actor_role, action, resource_type, resource_id, patient_ids,
    outcome, request_id, client_address, prev_hash, hash
FROM audit_entries""")
    _swap_entries(_OLD_INDEXES)
    op.execute("""CREATE TABLE audit_patients_rebuilt (
    patient_id VARCHAR(64) NOT NULL,
    seq BIGINT NOT NULL,
    CONSTRAINT pk_audit_patients PRIMARY KEY (patient_id, seq)
) WITHOUT ROWID""")
    op.execute("INSERT INTO audit_patients_rebuilt SELECT patient_id, seq FROM audit_patients")
    _swap_patients()


_ENTRY_DEFINITIONS = """at DATETIME NOT NULL,
    actor_id VARCHAR(128) NOT NULL,
    actor_role VARCHAR(16) NOT NULL,
    action VARCHAR(64) NOT NULL,
    resource_type VARCHAR(64) NOT NULL,
    resource_id VARCHAR(128),
    patient_ids JSON NOT NULL,
    outcome VARCHAR(16) NOT NULL,
    request_id VARCHAR(64),
    client_address VARCHAR(64)"""


def _swap_entries(indexes: tuple[tuple[str, str], ...]) -> None:
    op.execute("DROP TABLE audit_entries")
    op.execute("ALTER TABLE audit_entries_rebuilt RENAME TO audit_entries")
    for name, columns in indexes:
        op.execute(f"CREATE INDEX {name} ON audit_entries ({columns})")
    for statement in _SQLITE_GUARDS:
        op.execute(statement)


def _swap_patients() -> None:
    op.execute("DROP TABLE audit_patients")
    op.execute("ALTER TABLE audit_patients_rebuilt RENAME TO audit_patients")
