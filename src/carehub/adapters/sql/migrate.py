"""Schema migrations with Alembic, for SQLite and PostgreSQL URLs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config

from carehub.adapters.files.private import create_private_file
from carehub.adapters.sql.database import DatabaseUnreachable
from carehub.adapters.sql.sqlite import sqlite_path

MIGRATIONS = Path(__file__).parent / "migrations"


def sync_url(url: str) -> str:
    """The URL Alembic connects with (psycopg for PostgreSQL, the stdlib for SQLite)."""
    if url.startswith("sqlite:///"):
        create_private_file(sqlite_path(url))
        return url
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`."""
    with _reachable():
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` back to `revision`."""
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(sync_url(url))
    try:
        with _reachable(), engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    return revision


@contextmanager
def _reachable() -> Iterator[None]:
    """`DatabaseUnreachable` when the database cannot be connected to."""
    from sqlalchemy.exc import OperationalError

    try:
        yield
    except OperationalError as exc:
        # The driver's own first line names the cause; the rest is SQLAlchemy's boilerplate.
        raise DatabaseUnreachable(str(exc.orig).strip().splitlines()[0]) from exc


def latest() -> str:
    """The newest revision this carehub ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None, "carehub ships at least one migration"
    return head
