"""The one place the CLI opens carehub: it first makes sure the database can serve it, so a
database never migrated (or migrated by an older carehub) costs one line, not a traceback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import NoReturn

import typer

from carehub.bootstrap import Carehub, DatabaseUnreachable, build, schema_status
from carehub.config import Settings


@contextmanager
def reachable_database() -> Iterator[None]:
    """Stop with one line on stderr, exit code 1, when the database cannot be reached."""
    try:
        yield
    except DatabaseUnreachable as exc:
        _stop(f"cannot open the database: {exc}")


def require_database(settings: Settings) -> None:
    """Stop with one line on stderr, exit code 1, unless the schema is at the newest revision."""
    with reachable_database():
        status = schema_status(settings)
    if status.current is None:
        _stop("the database is not set up: run `carehub db upgrade` first")
    if not status.up_to_date:
        _stop(
            f"the database schema is at revision {status.current}, this carehub needs "
            f"{status.latest}: run `carehub db upgrade` first"
        )


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Carehub]:
    """carehub wired to a database that can serve it; closed on the way out."""
    require_database(settings)
    carehub = await build(settings)
    try:
        yield carehub
    finally:
        await carehub.close()


def _stop(message: str) -> NoReturn:
    typer.echo(f"carehub: {message}", err=True)
    raise typer.Exit(1)
