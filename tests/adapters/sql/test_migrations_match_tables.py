"""The migrations build the schema the table definitions describe, on each backend: the
statements are compiled from the definitions, so a column or index that only one of the
two has would be found in production instead of here."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from carehub.adapters.sql import migrate
from carehub.adapters.sql.tables import metadata

# Made by migrations for search, never named by a statement: SQLite's full-text index
# (with its shadow tables) and PostgreSQL's trigram index.
ONLY_IN_MIGRATIONS = (
    "patient_address_fts",
    "ix_patients_address_search_trgm",
    "patient_search_words_fts",
    "ix_patient_search_words_word_trgm",
)


def differences(url: str) -> list[str]:
    engine = sa.create_engine(migrate.sync_url(url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            found = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    return [str(d) for d in found if not any(name in str(d) for name in ONLY_IN_MIGRATIONS)]


def test_the_migrated_schema_is_the_one_the_tables_describe(database_url: str) -> None:
    assert differences(database_url) == []
