"""Reaching the real services tests run against. Under CI=true a missing one fails."""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from carehub.adapters.secrets.aesgcm import AesGcmSecretBox
from carehub.adapters.sql import migrate
from carehub.adapters.sql.database import Database, UniqueViolation
from carehub.bootstrap import connect
from carehub.config import Settings

# How each store refuses a reused primary id: SQL's key, the memory store's own check.
REUSED_ID = (UniqueViolation, ValueError)

POSTGRES_ADMIN_URL = os.environ.get(
    "CAREHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Emptied between tests; accounts, sessions and signing keys stay (tests use fresh emails).
TABLES = (
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_subscriptions",
    "clinical_revisions",
    "clinical_items",
    "checklist_templates",
    "document_stamps",
    "patient_files",
    "patient_storage_keys",
    "care_relationships",
    "patient_name_tokens",
    "patient_condition_terms",
    "patient_search_terms",
    "patient_search_words",
    "patient_identifiers",
    "patient_versions",
    "patients",
    "mrn_counters",
    "outbox",
    "leases",
    "processed_messages",
    "dead_letters",
    "analytics_daily",
    "timeline_entries",
    "timeline_journal",
    "idempotency_keys",
    "audit_patients",
    "otp_challenges",
    "slot_claims",
    "appointment_transitions",
    "appointments",
    "holds",
    "waitlist_entries",
    "doctors",
    "countries",
)
GENESIS = "0" * 64
# Every process sharing a database needs the same secret key, and tests share PostgreSQL
# databases across data folders (each of which would otherwise make its own key).
TEST_SECRET_KEY = base64.b64encode(b"carehub-tests-secret-key-32bytes").decode()


def unavailable(what: str, error: Exception) -> None:
    """Skip locally, fail in CI: a CI run never passes by skipping a backend."""
    message = f"{what} is not reachable ({type(error).__name__}: {error})"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def fresh_postgres_database(*, migrated: bool = True) -> Iterator[str]:
    """A new PostgreSQL database (migrated unless asked not to); dropped afterwards."""
    name = f"carehub_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(_psycopg(POSTGRES_ADMIN_URL), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        unavailable("PostgreSQL", exc)
        raise
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        if migrated:
            migrate.upgrade(url)
        yield url
    finally:
        with psycopg.connect(_psycopg(POSTGRES_ADMIN_URL), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_postgres(url: str) -> None:
    # A server's background loops (consumers finishing the last test's events) may write
    # meanwhile; PostgreSQL then breaks the deadlock by failing one side: try again.
    for attempt in range(5):
        try:
            with psycopg.connect(_psycopg(url), autocommit=True) as conn:
                conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
                empty_audit_trail(conn)
            return
        except psycopg.errors.DeadlockDetected:
            if attempt == 4:
                raise


def empty_audit_trail(conn: Any) -> None:
    """Start the chain again (TRUNCATE bypasses the append-only row triggers on purpose)."""
    conn.execute("DELETE FROM audit_patients")
    if isinstance(conn, sqlite3.Connection):
        conn.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
        conn.execute("DELETE FROM audit_entries")
        conn.execute(
            "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"
        )
    else:
        conn.execute("TRUNCATE audit_entries")
    conn.execute(f"UPDATE audit_chain_head SET seq = 0, hash = '{GENESIS}'")


def empty_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        for table in TABLES:
            conn.execute(f"DELETE FROM {table}")
        # Contentless, so emptied by its own command.
        conn.execute(
            "INSERT INTO patient_search_words_fts(patient_search_words_fts) VALUES ('delete-all')"
        )
        empty_audit_trail(conn)


def migrated_sqlite_template(folder: Path) -> Path:
    path = folder / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def fresh_sqlite(template: Path, folder: Path) -> str:
    """A copy of a migrated database file (faster than migrating for every test)."""
    path = folder / f"{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@asynccontextmanager
async def empty_database(
    backend: str, request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[Database]:
    """An empty, migrated SQL database ("sqlite" or "postgres"), connected as
    `carehub.bootstrap` connects it; closed on the way out."""
    if backend == "sqlite":
        url = fresh_sqlite(sqlite_template, tmp_path)
    else:
        url = request.getfixturevalue("postgres_url")
        empty_postgres(url)
    db = await connect(url, Settings(database_url=url, data_dir=tmp_path))
    try:
        yield db
    finally:
        await db.close()


def _psycopg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def fixed_secret_box() -> AesGcmSecretBox:
    """The secret box of `TEST_SECRET_KEY`, for tests that wire units of work by hand."""
    return AesGcmSecretBox(base64.b64decode(TEST_SECRET_KEY))
