"""The patient search index: terms (words and exact-match keys) per patient and country, and
the vocabulary of words with its trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _search_key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "patient_search_terms",
        sa.Column("term", _search_key(256), nullable=False),
        sa.Column("country_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("term", "country_id", "patient_id", name="pk_patient_search_terms"),
    )
    op.create_index("ix_patient_search_terms_patient_id", "patient_search_terms", ["patient_id"])
    op.create_table(
        "patient_search_words",
        sa.Column("word", _search_key(64), nullable=False),
        sa.PrimaryKeyConstraint("word", name="pk_patient_search_words"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Contentless: the words live in patient_search_words, found by rowid. Each is
        # indexed padded ("  word "), as pg_trgm pads, so that its first and last letters
        # make trigrams of their own.
        op.execute(
            "CREATE VIRTUAL TABLE patient_search_words_fts USING fts5("
            "word, content='', tokenize='trigram')"
        )
        op.execute(
            "CREATE TRIGGER patient_search_words_ai AFTER INSERT ON patient_search_words BEGIN "
            "INSERT INTO patient_search_words_fts(rowid, word) "
            "VALUES (new.rowid, '  ' || new.word || ' '); END"
        )
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_patient_search_words_word_trgm ON patient_search_words "
            "USING gin (word gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS patient_search_words_ai")
        op.execute("DROP TABLE IF EXISTS patient_search_words_fts")
    op.drop_table("patient_search_words")
    op.drop_index("ix_patient_search_terms_patient_id", table_name="patient_search_terms")
    op.drop_table("patient_search_terms")
