"""Which adapter each setting names: databases, broker, object store, CDN, mail, SMS,
rate limits and external identity. Importing this module connects to nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter

from carehub.adapters.blob.folder import FolderObjectStore, folder_secret
from carehub.adapters.broker.memory import MemoryBroker
from carehub.adapters.cdn.none import NoCdn
from carehub.adapters.identity.signing_keys import SigningKeyStore
from carehub.adapters.mail.folder import FolderMailer
from carehub.adapters.mail.smtp import smtp_mailer_from_url
from carehub.adapters.ratelimit.memory import MemoryRateLimiter
from carehub.adapters.secrets.aesgcm import AesGcmSecretBox
from carehub.adapters.secrets.key import key_encryption_key
from carehub.adapters.sms.folder import FolderSmsSender
from carehub.adapters.sql.audit import AuditWriter
from carehub.adapters.sql.database import Database, DatabaseUnreachable
from carehub.adapters.sql.dead_letters import SqlDeadLetters
from carehub.adapters.sql.idempotency import SqlIdempotencyStore
from carehub.adapters.sql.outbox import SqlOutboxStore
from carehub.adapters.sql.postgres import PostgresDatabase
from carehub.adapters.sql.sealed_secrets import check_secret_key, seal_plaintext_secrets
from carehub.adapters.sql.signing_keys import SqlSigningKeys
from carehub.adapters.sql.sqlite import SqliteDatabase, sqlite_path
from carehub.adapters.sql.unit_of_work import SqlUnitOfWork
from carehub.audit.shards import AuditShards
from carehub.config import Settings
from carehub.documents.ports import CdnInvalidator, ObjectStore, StoredObjectEvents
from carehub.events.lease import RelayLease
from carehub.events.ports import Broker, DeadLetters, OutboxStore, StreamedOutbox
from carehub.events.stream_relay import StreamRelay
from carehub.identity.commands import ExternalRoles
from carehub.identity.ports import ExternalTokenVerifier
from carehub.kernel.actor import Role
from carehub.kernel.clock import Clock
from carehub.kernel.idempotency import IdempotencyStore
from carehub.kernel.mail import Mailer
from carehub.kernel.rate_limit import RateLimiter
from carehub.kernel.secret_box import SecretBox
from carehub.kernel.sms import SmsSender

if TYPE_CHECKING:
    from carehub.adapters.dynamodb.table_client import DynamoTable
    from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork

# A unit of work on whichever store the settings name; both serve every domain's port.
AnyUnitOfWork: TypeAlias = "SqlUnitOfWork | DynamoUnitOfWork"

_DYNAMODB = "dynamodb://"

# A loop a process runs in the background until the event it is given is set.
Loop: TypeAlias = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def connect(url: str, settings: Settings) -> Database:
    """Open the database a URL names."""
    if url.startswith("sqlite:///"):
        return SqliteDatabase(sqlite_path(url), synchronous=settings.sqlite_synchronous)
    if url.startswith(("postgresql://", "postgres://", "postgresql+")):
        return await PostgresDatabase.connect(url, max_size=settings.database_pool_size)
    if url.startswith(_DYNAMODB):
        raise ValueError("a dynamodb:// URL names a table, not a SQL database: use open_store")
    raise ValueError(
        "CAREHUB_DATABASE_URL must start with sqlite:///, postgresql:// or dynamodb://"
    )


# How many shards the audit trail is spread over unless `CAREHUB_AUDIT_SHARDS` says.
# SQLite has one writer: more shards would only be more heads. On PostgreSQL appends to one
# shard queue on its head row; a process appends to one shard for its reads and another for
# its changes, so 16 leave room for eight processes to find shards of their own. On DynamoDB
# a shard takes one append at a time (a conditional PutItem, a few milliseconds), so the
# shards bound the audited requests a second (docs/dynamodb.md, "Audit chain").
DEFAULT_AUDIT_SHARDS = {"sqlite": 1, "postgresql": 16, "dynamodb": 32}


def units_of_work(
    db: Database,
    clock: Clock,
    events_committed: Callable[[], None] | None = None,
    *,
    secrets: SecretBox,
    audit_reads_wait_for_disk: bool = False,
    audit_shards: int | None = None,
) -> Callable[[], SqlUnitOfWork]:
    """Opens units of work on `db`, sealing the secrets they store with `secrets`; read-only
    units share one audit writer, which chains the records of concurrent reads in one
    transaction instead of one each. They append to `audit_shards` shards (by default as
    many as suit the database)."""
    shards = AuditShards(audit_shards or DEFAULT_AUDIT_SHARDS[db.dialect.name])
    writer = AuditWriter(db, wait_for_disk=audit_reads_wait_for_disk, shards=shards)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(db, clock, writer, events_committed, secrets=secrets)

    return uow


def sql_event_stores(db: Database, clock: Clock) -> tuple[OutboxStore, DeadLetters]:
    """The outbox and the dead letters on a SQL database."""
    return SqlOutboxStore(db, clock), SqlDeadLetters(db)


def secret_box(settings: Settings) -> SecretBox:
    """The box sealing secrets at rest, with `CAREHUB_SECRET_KEY` or `<data_dir>/secret.key`."""
    configured = settings.secret_key.get_secret_value() if settings.secret_key else None
    return AesGcmSecretBox(key_encryption_key(configured, settings.data_dir))


def connect_broker(settings: Settings) -> Broker:
    """Open the broker `CAREHUB_BROKER_URL` names."""
    url = settings.broker_url
    visibility = settings.event_visibility_timeout_seconds
    if url.startswith("memory://"):
        return MemoryBroker(visibility_timeout=visibility)
    if url.startswith(("redis://", "rediss://")):
        from carehub.adapters.broker.redis_streams import redis_broker_from_url

        return redis_broker_from_url(
            url, prefix=settings.broker_prefix, visibility_timeout=visibility
        )
    if url.startswith("sqs://"):
        from carehub.adapters.broker.sns_sqs import sqs_broker_from_url

        return sqs_broker_from_url(
            url,
            endpoint_url=settings.aws_endpoint_url,
            prefix=settings.broker_prefix,
            visibility_timeout=visibility,
        )
    raise ValueError("CAREHUB_BROKER_URL must start with memory://, redis:// or sqs://")


def storage_events(settings: Settings) -> StoredObjectEvents | None:
    """The queue `CAREHUB_STORAGE_EVENTS_URL` names, if any."""
    if not settings.storage_events_url:
        return None
    from carehub.adapters.blob.s3_events import s3_event_queue_from_url

    return s3_event_queue_from_url(
        settings.storage_events_url,
        endpoint_url=settings.aws_endpoint_url,
        key_prefix=urlsplit(settings.storage_url).path,
    )


def object_store(settings: Settings, clock: Clock) -> ObjectStore:
    """The object store `CAREHUB_STORAGE_URL` names (a folder in the data dir by default)."""
    url = settings.storage_url
    if url.startswith("s3://"):
        from carehub.adapters.blob.s3 import s3_object_store_from_url

        return s3_object_store_from_url(url, endpoint_url=settings.aws_endpoint_url)
    if url:
        raise ValueError("CAREHUB_STORAGE_URL must be empty (a local folder) or s3://bucket")
    root = settings.data_dir / "objects"
    return FolderObjectStore(root, clock, folder_secret(settings.data_dir / "objects.key"))


def cdn(settings: Settings) -> CdnInvalidator:
    if settings.cdn_url:
        from carehub.adapters.cdn.cloudfront import cloudfront_from_url

        prefix = urlsplit(settings.storage_url).path if settings.storage_url else ""
        return cloudfront_from_url(
            settings.cdn_url, endpoint_url=settings.aws_endpoint_url, key_prefix=prefix
        )
    return NoCdn()


def object_routes(settings: Settings) -> list[APIRouter]:
    """The routes the embedded folder store serves its signed URLs on (none for S3)."""
    if settings.storage_url:
        return []
    from carehub.adapters.blob.folder_http import folder_router

    return [folder_router()]


def streamed_bodies(settings: Settings) -> dict[str, int]:
    """Request paths whose bodies stream (uploads to the folder store), with their limits."""
    if settings.storage_url:
        return {}
    from carehub.adapters.blob.folder_http import upload_body_limit, upload_path

    return {upload_path(): upload_body_limit(settings.upload_max_bytes)}


def sms_sender(settings: Settings) -> SmsSender:
    if settings.sms_url:
        from carehub.adapters.sms.sns import sns_sms_sender_from_url

        return sns_sms_sender_from_url(settings.sms_url, endpoint_url=settings.aws_endpoint_url)
    return FolderSmsSender(settings.data_dir / "sms")


def mailer(settings: Settings) -> Mailer:
    if settings.mail_url:
        return smtp_mailer_from_url(settings.mail_url)
    return FolderMailer(settings.data_dir / "outbox")


async def rate_limiters(
    settings: Settings, clock: Clock
) -> tuple[RateLimiter, RateLimiter, Callable[[], Awaitable[None]]]:
    """The sign-in limiter and the request-rate limiter, and what closes them.

    Each counts in its own key space, so a flood of new request keys (one per address) can
    never push the sign-in windows out of a bounded in-memory limiter.
    """
    if settings.cache_url:
        from carehub.adapters.ratelimit.redis import redis_rate_limiter_from_url

        sign_in = redis_rate_limiter_from_url(settings.cache_url)
        return sign_in, sign_in.in_space("carehub:rq:"), sign_in.close

    async def nothing() -> None:
        return None

    return MemoryRateLimiter(clock), MemoryRateLimiter(clock), nothing


def external_verifier(settings: Settings) -> ExternalTokenVerifier | None:
    if not settings.oidc_issuer:
        return None
    from carehub.adapters.identity.oidc import OidcVerifier

    return OidcVerifier(
        settings.oidc_issuer,
        jwks_url=settings.oidc_jwks_url,
        audience=settings.oidc_audience,
        groups_claim=settings.oidc_groups_claim,
    )


def external_roles(settings: Settings) -> ExternalRoles | None:
    if not settings.oidc_group_roles:
        return None
    return ExternalRoles({group: Role(role) for group, role in settings.oidc_group_roles.items()})


def connect_dynamodb(settings: Settings) -> DynamoTable:
    """The table a `dynamodb://TABLE?region=R` database URL names (connects on first use)."""
    from carehub.adapters.dynamodb.table_client import DynamoTable
    from carehub.adapters.dynamodb.url import parse_dynamodb_url

    target = parse_dynamodb_url(settings.resolved_database_url)
    return DynamoTable.connect(
        target.table, region=target.region, endpoint_url=settings.aws_endpoint_url
    )


def dynamodb_units_of_work(
    table: DynamoTable,
    clock: Clock,
    events_committed: Callable[[], None] | None = None,
    *,
    secrets: SecretBox,
    audit_shards: int | None = None,
) -> Callable[[], DynamoUnitOfWork]:
    """Opens units of work on `table`, sealing the secrets they store with `secrets`; they
    share one writer's view of the audit trail's `audit_shards` shards."""
    from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork

    shards = AuditShards(audit_shards or DEFAULT_AUDIT_SHARDS["dynamodb"])

    def uow() -> DynamoUnitOfWork:
        return DynamoUnitOfWork(
            table, clock, events_committed, secrets=secrets, audit_shards=shards
        )

    return uow


def dynamodb_event_stores(
    table: DynamoTable, clock: Clock, settings: Settings
) -> tuple[OutboxStore, DeadLetters]:
    """The outbox (published events kept for the outbox retention) and the dead letters
    in the table."""
    from datetime import timedelta

    from carehub.adapters.dynamodb.dead_letters import DynamoDeadLetters
    from carehub.adapters.dynamodb.outbox import DynamoOutboxStore

    retention = timedelta(days=settings.outbox_retention_days)
    return DynamoOutboxStore(table, clock, retention=retention), DynamoDeadLetters(table)


@dataclass(frozen=True)
class OutboxStream:
    """The database's change stream, where it has one (DynamoDB's table): the outbox the
    stream-fed relay marks events in, and a reader of the stream feeding that relay."""

    outbox: StreamedOutbox
    reader: Callable[[StreamRelay, RelayLease], Loop]


def dynamodb_outbox_stream(table: DynamoTable, clock: Clock, settings: Settings) -> OutboxStream:
    """The table's stream: its reader talks to the endpoint the settings name."""
    from datetime import timedelta

    from carehub.adapters.dynamodb.outbox import DynamoOutboxStore
    from carehub.adapters.dynamodb.stream_reader import TableStreamReader
    from carehub.adapters.dynamodb.url import parse_dynamodb_url

    region = parse_dynamodb_url(settings.resolved_database_url).region
    retention = timedelta(days=settings.outbox_retention_days)

    def reader(relay: StreamRelay, lease: RelayLease) -> Loop:
        endpoint = settings.aws_endpoint_url
        return TableStreamReader.connect(
            table, relay, lease, region=region, endpoint_url=endpoint
        ).run

    return OutboxStream(DynamoOutboxStore(table, clock, retention=retention), reader)


@dataclass(frozen=True)
class Store:
    """The configured database as `build()` uses it, whichever it is: the one place that
    chooses between the SQL pieces and the DynamoDB ones."""

    units_of_work: Callable[[], AnyUnitOfWork]
    event_stores: tuple[OutboxStore, DeadLetters]
    idempotency: IdempotencyStore
    signing_keys: SigningKeyStore
    ping: Callable[[], Awaitable[None]]
    close: Callable[[], Awaitable[None]]
    stream: OutboxStream | None = None  # None: the database has no change stream (SQL)


async def open_store(
    settings: Settings,
    clock: Clock,
    events_committed: Callable[[], None],
    *,
    secrets: SecretBox,
) -> Store:
    """Open the database `CAREHUB_DATABASE_URL` names, once `secrets` proved to open the
    secrets stored there (a wrong key stops carehub at start); units of work that commit
    events call `events_committed`."""
    if _on_dynamodb(settings):
        return await _dynamodb_store(settings, clock, events_committed, secrets=secrets)
    if settings.outbox_relay == "stream":
        raise ValueError(STREAM_NEEDS_DYNAMODB)
    db = await connect(settings.resolved_database_url, settings)
    try:
        await check_secret_key(db, secrets)
    except BaseException:
        await db.close()
        raise
    uow = units_of_work(
        db,
        clock,
        events_committed,
        secrets=secrets,
        audit_reads_wait_for_disk=settings.audit_reads_wait_for_disk,
        audit_shards=settings.audit_shards,
    )
    return Store(
        units_of_work=uow,
        event_stores=sql_event_stores(db, clock),
        idempotency=SqlIdempotencyStore(db, clock),
        signing_keys=SqlSigningKeys(db),
        ping=db.ping,
        close=db.close,
    )


async def _dynamodb_store(
    settings: Settings,
    clock: Clock,
    events_committed: Callable[[], None],
    *,
    secrets: SecretBox,
) -> Store:
    from carehub.adapters.dynamodb.idempotency import DynamoIdempotencyStore
    from carehub.adapters.dynamodb.sealed_secrets import check_table_secret_key
    from carehub.adapters.dynamodb.signing_keys import DynamoSigningKeys

    table = connect_dynamodb(settings)
    try:
        await check_table_secret_key(table, secrets)
    except BaseException:
        await table.close()
        raise
    return Store(
        units_of_work=dynamodb_units_of_work(
            table, clock, events_committed, secrets=secrets, audit_shards=settings.audit_shards
        ),
        event_stores=dynamodb_event_stores(table, clock, settings),
        idempotency=DynamoIdempotencyStore(table, clock),
        signing_keys=DynamoSigningKeys(table),
        ping=table.ping,
        close=table.close,
        stream=dynamodb_outbox_stream(table, clock, settings),
    )


STREAM_NEEDS_DYNAMODB = (
    "CAREHUB_OUTBOX_RELAY=stream needs a dynamodb:// database: only its table has a stream"
)


def request_cost_meter(
    settings: Settings,
) -> Callable[[], AbstractContextManager[Callable[[], Mapping[str, Any]]]] | None:
    """What counts the capacity units one HTTP request consumes, on DynamoDB (which bills
    by them); None on SQL."""
    if not _on_dynamodb(settings):
        return None
    from carehub.adapters.dynamodb.capacity_meter import metered_request

    return metered_request


def _on_dynamodb(settings: Settings) -> bool:
    return settings.resolved_database_url.startswith(_DYNAMODB)


def import_batch_size(settings: Settings) -> int:
    """How many patients one bulk transaction takes on the configured database: a
    DynamoDB transaction holds 100 items, about two patients' worth (docs/dynamodb.md)."""
    return 2 if _on_dynamodb(settings) else 2000


def upgrade_database(settings: Settings, revision: str = "head") -> None:
    """Apply schema migrations to the configured database; on DynamoDB, create the table or
    bring it up to date (it has no revisions)."""
    if _on_dynamodb(settings):
        from carehub.adapters.dynamodb.table import create_or_update_table

        _on_table(settings, create_or_update_table)
        return
    from carehub.adapters.sql import migrate  # Alembic: only when asked

    migrate.upgrade(settings.resolved_database_url, revision)


async def seal_stored_secrets(settings: Settings) -> int:
    """Seal the secrets an older carehub stored in plain text; how many (run after the
    schema migrations)."""
    if _on_dynamodb(settings):
        return 0  # no carehub ever stored secrets there in plain text
    db = await connect(settings.resolved_database_url, settings)
    try:
        return await seal_plaintext_secrets(db, secret_box(settings))
    finally:
        await db.close()


def database_revision(settings: Settings) -> str | None:
    """The schema revision of the configured database (on DynamoDB: which of its indexes
    the table has, None when there is no table)."""
    if _on_dynamodb(settings):
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
    if _on_dynamodb(settings):
        from carehub.adapters.dynamodb.table import LATEST_REVISION

        return SchemaStatus(current=_table_revision(settings), latest=LATEST_REVISION)
    from carehub.adapters.sql import migrate  # Alembic: only when asked

    return SchemaStatus(current=database_revision(settings), latest=migrate.latest())
