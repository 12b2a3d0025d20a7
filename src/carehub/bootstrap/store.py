"""The database the settings name, whichever it is (SQLite, PostgreSQL or one DynamoDB
table): its connection, units of work and event stores, and the one seam `build()` opens
it through. Importing this module connects to nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from carehub.adapters.identity.signing_keys import SigningKeyStore
from carehub.adapters.sql.audit import AuditWriter
from carehub.adapters.sql.database import Database
from carehub.adapters.sql.dead_letters import SqlDeadLetters
from carehub.adapters.sql.idempotency import SqlIdempotencyStore
from carehub.adapters.sql.outbox import SqlOutboxStore
from carehub.adapters.sql.postgres import PostgresDatabase
from carehub.adapters.sql.sealed_secrets import check_secret_key
from carehub.adapters.sql.signing_keys import SqlSigningKeys
from carehub.adapters.sql.sqlite import SqliteDatabase, sqlite_path
from carehub.adapters.sql.traced import TracedDatabase
from carehub.adapters.sql.unit_of_work import SqlUnitOfWork
from carehub.audit.shards import AuditShards
from carehub.config import Settings
from carehub.events.lease import RelayLease
from carehub.events.ports import DeadLetters, OutboxStore, StreamedOutbox
from carehub.events.stream_relay import StreamRelay
from carehub.kernel.clock import Clock
from carehub.kernel.idempotency import IdempotencyStore
from carehub.kernel.metrics import NO_METRICS, Metrics, PoolUse
from carehub.kernel.secret_box import SecretBox
from carehub.kernel.tracing import NO_TRACING, Tracing
from carehub.kernel.unit_of_work import AfterCommit

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
    metrics: Metrics = NO_METRICS,
    after_commit: AfterCommit | None = None,
    tracing: Tracing = NO_TRACING,
) -> Callable[[], SqlUnitOfWork]:
    """Opens units of work on `db`, sealing the secrets they store with `secrets`; read-only
    units share one audit writer, which chains the records of concurrent reads in one
    transaction instead of one each. They append to `audit_shards` shards (by default as
    many as suit the database), counting the entries they store in `metrics`; with
    `tracing` on, their events carry the trace of the unit that wrote them."""
    trace_context = tracing.headers if tracing.enabled else None
    shards = AuditShards(audit_shards or DEFAULT_AUDIT_SHARDS[db.dialect.name], metrics=metrics)
    writer = AuditWriter(db, wait_for_disk=audit_reads_wait_for_disk, shards=shards)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(
            db,
            clock,
            writer,
            events_committed,
            secrets=secrets,
            after_commit=after_commit,
            trace_context=trace_context,
        )

    return uow


def sql_event_stores(db: Database, clock: Clock) -> tuple[OutboxStore, DeadLetters]:
    """The outbox and the dead letters on a SQL database."""
    return SqlOutboxStore(db, clock), SqlDeadLetters(db)


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
    metrics: Metrics = NO_METRICS,
    after_commit: AfterCommit | None = None,
    tracing: Tracing = NO_TRACING,
) -> Callable[[], DynamoUnitOfWork]:
    """Opens units of work on `table`, sealing the secrets they store with `secrets`; they
    share one writer's view of the audit trail's `audit_shards` shards."""
    from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork

    shards = AuditShards(audit_shards or DEFAULT_AUDIT_SHARDS["dynamodb"], metrics=metrics)
    trace_context = tracing.headers if tracing.enabled else None

    def uow() -> DynamoUnitOfWork:
        return DynamoUnitOfWork(
            table,
            clock,
            events_committed,
            secrets=secrets,
            audit_shards=shards,
            after_commit=after_commit,
            trace_context=trace_context,
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
    # The connection pool's figures, where the database has a pool (PostgreSQL).
    pool_use: Callable[[], PoolUse] | None = None


async def open_store(
    settings: Settings,
    clock: Clock,
    events_committed: Callable[[], None],
    *,
    secrets: SecretBox,
    metrics: Metrics = NO_METRICS,
    after_commit: AfterCommit | None = None,
    tracing: Tracing = NO_TRACING,
) -> Store:
    """Open the database `CAREHUB_DATABASE_URL` names, once `secrets` proved to open the
    secrets stored there (a wrong key stops carehub at start); units of work that commit
    events call `events_committed` and then await `after_commit` with them, and count the
    audit entries they store in `metrics`; with `tracing` on, each statement runs in a span
    and events carry their trace."""
    if on_dynamodb(settings):
        return await _dynamodb_store(
            settings,
            clock,
            events_committed,
            secrets=secrets,
            metrics=metrics,
            after_commit=after_commit,
            tracing=tracing,
        )
    if settings.outbox_relay == "stream":
        raise ValueError(STREAM_NEEDS_DYNAMODB)
    db = await connect(settings.resolved_database_url, settings)
    try:
        await check_secret_key(db, secrets)
    except BaseException:
        await db.close()
        raise
    pool_use = db.pool_use if isinstance(db, PostgresDatabase) else None
    if tracing.enabled:
        db = TracedDatabase(db, tracing)
    uow = units_of_work(
        db,
        clock,
        events_committed,
        secrets=secrets,
        audit_reads_wait_for_disk=settings.audit_reads_wait_for_disk,
        audit_shards=settings.audit_shards,
        metrics=metrics,
        after_commit=after_commit,
        tracing=tracing,
    )
    return Store(
        units_of_work=uow,
        event_stores=sql_event_stores(db, clock),
        idempotency=SqlIdempotencyStore(db, clock),
        signing_keys=SqlSigningKeys(db),
        ping=db.ping,
        close=db.close,
        pool_use=pool_use,
    )


async def _dynamodb_store(
    settings: Settings,
    clock: Clock,
    events_committed: Callable[[], None],
    *,
    secrets: SecretBox,
    metrics: Metrics,
    after_commit: AfterCommit | None,
    tracing: Tracing,
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
    if tracing.enabled:
        table.trace_with(tracing)
    return Store(
        units_of_work=dynamodb_units_of_work(
            table,
            clock,
            events_committed,
            secrets=secrets,
            audit_shards=settings.audit_shards,
            metrics=metrics,
            after_commit=after_commit,
            tracing=tracing,
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
    if not on_dynamodb(settings):
        return None
    from carehub.adapters.dynamodb.capacity_meter import metered_request

    return metered_request


def on_dynamodb(settings: Settings) -> bool:
    return settings.resolved_database_url.startswith(_DYNAMODB)


def import_batch_size(settings: Settings) -> int:
    """How many patients one bulk transaction takes on the configured database: a
    DynamoDB transaction holds 100 items, about two patients' worth (docs/dynamodb.md)."""
    return 2 if on_dynamodb(settings) else 2000
