"""What units of work write beside an aggregate (outbox, idempotency keys) and the event
backbone's own state (leases, processed messages, dead letters)."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.tables.base import BigId, Json, Timestamp, metadata

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("event_type", sa.String(128), nullable=False),
    sa.Column("aggregate_id", sa.String(64), nullable=False),
    sa.Column("actor_id", sa.String(128), nullable=False),
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Column("published_at", Timestamp),
    # The W3C trace context of the unit that wrote it, as JSON (NULL when tracing is off).
    sa.Column("trace_context", sa.Text),
    sa.Index(
        "ix_outbox_unpublished",
        "seq",
        sqlite_where=sa.text("published_at IS NULL"),
        postgresql_where=sa.text("published_at IS NULL"),
    ),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("scope", sa.String(256), primary_key=True),
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("resource_id", sa.String(64)),
    sa.Column("status", sa.Integer),
    sa.Column("body", sa.LargeBinary),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index("ix_idempotency_keys_created_at", "created_at"),
)

# Leases name the one process that runs a loop at a time (the outbox relay), with failover.
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(128), nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
)

# A consumer's record of each event it has applied, written with the effect.
processed_messages = sa.Table(
    "processed_messages",
    metadata,
    sa.Column("consumer", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("processed_at", Timestamp, nullable=False),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("consumer", sa.String(64), nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("event_type", sa.String(128), nullable=False),
    sa.Column("aggregate_id", sa.String(64), nullable=False),
    sa.Column("actor_id", sa.String(128), nullable=False),
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=False),
    sa.Column("parked_at", Timestamp, nullable=False),
    sa.Column("replayed_at", Timestamp),
    sa.UniqueConstraint("consumer", "event_id"),
)
