"""The configured database's schema: its revision, upgrading it, and sealing secrets an
older carehub stored in plain text (the `carehub db` commands)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from carehub.adapters.sql.database import DatabaseUnreachable
from carehub.adapters.sql.sealed_secrets import seal_plaintext_secrets
from carehub.bootstrap.backends import secret_box
from carehub.bootstrap.store import connect, on_dynamodb
from carehub.config import Settings


def upgrade_database(settings: Settings, revision: str = "head") -> None:
    """Apply schema migrations to the configured database; on DynamoDB, create the table or
    bring it up to date (it has no revisions)."""
    if on_dynamodb(settings):
        from carehub.adapters.dynamodb.table import create_or_update_table

        _on_table(settings, create_or_update_table)
        return
    from carehub.adapters.sql import migrate  # Alembic: only when asked

    migrate.upgrade(settings.resolved_database_url, revision)


async def seal_stored_secrets(settings: Settings) -> int:
    """Seal the secrets an older carehub stored in plain text; how many (run after the
    schema migrations)."""
    if on_dynamodb(settings):
        return 0  # no carehub ever stored secrets there in plain text
    db = await connect(settings.resolved_database_url, settings)
    try:
        return await seal_plaintext_secrets(db, secret_box(settings))
    finally:
        await db.close()


def database_revision(settings: Settings) -> str | None:
    """The schema revision of the configured database (on DynamoDB: which of its indexes
    the table has, None when there is no table)."""
    if on_dynamodb(settings):
        return _table_revision(settings)
    from carehub.adapters.sql import migrate  # Alembic: only when asked

    return migrate.current(settings.resolved_database_url)


_T = TypeVar("_T")


def _table_revision(settings: Settings) -> str | None:
    from carehub.adapters.dynamodb.table import current_revision

    return _on_table(settings, current_revision)


def _on_table(settings: Settings, work: Callable[[Any, str], _T]) -> _T:
    """Run `work(client, table name)` on a plain client, here and now (the CLI asks from
    inside its event loop too); `DatabaseUnreachable` naming the cause when AWS refuses or
    cannot be reached (no credentials, no endpoint), instead of a traceback."""
    from botocore.exceptions import BotoCoreError, ClientError

    from carehub.adapters.aws.clients import connector
    from carehub.adapters.dynamodb.url import parse_dynamodb_url

    target = parse_dynamodb_url(settings.resolved_database_url)
    make = connector("dynamodb", region=target.region, endpoint_url=settings.aws_endpoint_url)
    try:
        return work(make(), target.table)
    except (ClientError, BotoCoreError) as exc:
        raise DatabaseUnreachable(f"DynamoDB: {exc}") from exc


@dataclass(frozen=True)
class SchemaStatus:
    """Where the configured database's schema is, against the newest this carehub ships."""

    current: str | None  # None: never migrated
    latest: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.latest


def schema_status(settings: Settings) -> SchemaStatus:
    """Read the schema revision; `DatabaseUnreachable` when the database cannot be opened.
    On DynamoDB the table is up to date when it exists with every index."""
    if on_dynamodb(settings):
        from carehub.adapters.dynamodb.table import LATEST_REVISION

        return SchemaStatus(current=_table_revision(settings), latest=LATEST_REVISION)
    from carehub.adapters.sql import migrate  # Alembic: only when asked

    return SchemaStatus(current=database_revision(settings), latest=migrate.latest())
