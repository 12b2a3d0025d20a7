"""Webhook subscriptions, their deliveries and every attempt."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.tables.base import Json, Timestamp, metadata

webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("event_types", Json, nullable=False),
    sa.Column("secret", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("consecutive_failures", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "subscription_id",
        sa.String(36),
        sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("event_type", sa.String(128), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", Timestamp, nullable=False),
    sa.Column("claimed_until", Timestamp),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("finished_at", Timestamp),
    # The W3C traceparent of the work that caused the event (NULL when tracing is off).
    sa.Column("traceparent", sa.String(256)),
    sa.UniqueConstraint("subscription_id", "event_id"),
    # A subscription's deliveries, newest first (`GET /webhooks/{id}/deliveries`).
    sa.Index("ix_webhook_deliveries_subscription_id_id", "subscription_id", "id"),
    sa.Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    ),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column(
        "delivery_id",
        sa.String(36),
        sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("attempt", sa.Integer, primary_key=True),
    sa.Column("subscription_id", sa.String(36), nullable=False),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("error", sa.Text),
    sa.Index("ix_webhook_attempts_subscription_id_at", "subscription_id", "at"),
)
