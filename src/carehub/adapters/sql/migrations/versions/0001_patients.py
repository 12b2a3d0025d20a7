"""Patients, their search keys, MRN counters, outbox and idempotency keys.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "patients",
        sa.Column("seq", BigId, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("mrn", sa.String(32), nullable=False),
        sa.Column("country_id", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name_text", sa.Text, nullable=False),
        sa.Column("given_names", Json, nullable=False),
        sa.Column("family_name", sa.Text),
        sa.Column("birth_date", sa.Date),
        sa.Column("birth_date_estimated", sa.Boolean, nullable=False),
        sa.Column("sex", sa.String(16)),
        sa.Column("email", sa.Text),
        sa.Column("phone", sa.Text),
        sa.Column("address", Json),
        sa.Column("address_search", key(1024)),
        sa.Column("city_search", key(256)),
        sa.Column("identifiers", Json, nullable=False),
        sa.Column("conditions", Json, nullable=False),
        sa.Column("allergies", Json, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_patients"),
        sa.UniqueConstraint("id", name="uq_patients_id"),
        sa.UniqueConstraint("country_id", "mrn", name="uq_patients_country_id_mrn"),
    )
    op.create_index("ix_patients_country_id_id", "patients", ["country_id", "id"])
    op.create_index("ix_patients_city_search_id", "patients", ["city_search", "id"])
    op.create_index("ix_patients_birth_date_id", "patients", ["birth_date", "id"])
    for table, column, length in (
        ("patient_name_tokens", "token", 128),
        ("patient_condition_terms", "term", 256),
    ):
        op.create_table(
            table,
            sa.Column(column, key(length), nullable=False),
            sa.Column("patient_id", sa.String(64), nullable=False),
            sa.PrimaryKeyConstraint(column, "patient_id", name=f"pk_{table}"),
            sa.ForeignKeyConstraint(
                ["patient_id"],
                ["patients.id"],
                ondelete="CASCADE",
                name=f"fk_{table}_patient_id_patients",
            ),
        )
        op.create_index(f"ix_{table}_patient_id", table, ["patient_id"])
    op.create_table(
        "patient_identifiers",
        sa.Column("system", sa.String(256), nullable=False),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("system", "value", name="pk_patient_identifiers"),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            ondelete="CASCADE",
            name="fk_patient_identifiers_patient_id_patients",
        ),
    )
    op.create_index("ix_patient_identifiers_patient_id", "patient_identifiers", ["patient_id"])
    op.create_table(
        "mrn_counters",
        sa.Column("country_id", sa.String(32), nullable=False),
        sa.Column("last_value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("country_id", name="pk_mrn_counters"),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", BigId, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(128), nullable=False),
        sa.Column("aggregate_id", sa.String(64), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("published_at", Timestamp),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["seq"],
        sqlite_where=sa.text("published_at IS NULL"),
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(256), nullable=False),
        sa.Column("key", sa.String(256), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(64)),
        sa.Column("status", sa.Integer),
        sa.Column("body", sa.LargeBinary),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    _address_search_index(dialect)


def _address_search_index(dialect: str) -> None:
    """The address contains-filter: FTS5 trigrams on SQLite, pg_trgm on PostgreSQL."""
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE patient_address_fts USING fts5("
            "address_search, content='patients', content_rowid='seq', tokenize='trigram')"
        )
        op.execute(
            "CREATE TRIGGER patients_address_ai AFTER INSERT ON patients BEGIN "
            "INSERT INTO patient_address_fts(rowid, address_search) "
            "VALUES (new.seq, new.address_search); END"
        )
        op.execute(
            "CREATE TRIGGER patients_address_ad AFTER DELETE ON patients BEGIN "
            "INSERT INTO patient_address_fts(patient_address_fts, rowid, address_search) "
            "VALUES ('delete', old.seq, old.address_search); END"
        )
        op.execute(
            "CREATE TRIGGER patients_address_au AFTER UPDATE OF address_search ON patients BEGIN "
            "INSERT INTO patient_address_fts(patient_address_fts, rowid, address_search) "
            "VALUES ('delete', old.seq, old.address_search); "
            "INSERT INTO patient_address_fts(rowid, address_search) "
            "VALUES (new.seq, new.address_search); END"
        )
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_patients_address_search_trgm ON patients "
            "USING gin (address_search gin_trgm_ops)"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("patients_address_ai", "patients_address_ad", "patients_address_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS patient_address_fts")
    for table in (
        "idempotency_keys",
        "outbox",
        "mrn_counters",
        "patient_identifiers",
        "patient_condition_terms",
        "patient_name_tokens",
        "patients",
    ):
        op.drop_table(table)
