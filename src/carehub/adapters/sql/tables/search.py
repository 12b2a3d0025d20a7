"""The patient search index: each patient's terms (words and `kind:value` keys) and the
vocabulary of words, which the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL, made
by migration 0013) finds similar words in."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.tables.base import metadata, search_key

patient_search_terms = sa.Table(
    "patient_search_terms",
    metadata,
    # A term's postings, in one country or in every one: the index `ranked` reads.
    sa.Column("term", search_key(256), primary_key=True),
    sa.Column("country_id", sa.String(32), primary_key=True),
    sa.Column("patient_id", sa.String(64), primary_key=True),
    # Replacing a patient's entries deletes theirs.
    sa.Index("ix_patient_search_terms_patient_id", "patient_id"),
)

patient_search_words = sa.Table(
    "patient_search_words",
    metadata,
    # Every word ever indexed (never pruned: a word nobody holds any more finds nobody).
    sa.Column("word", search_key(64), primary_key=True),
)
