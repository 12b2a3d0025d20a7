"""De-identified daily counters."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.tables.base import metadata

# De-identified daily counters: a metric, one dimension value (a country, a category), a day.
analytics_daily = sa.Table(
    "analytics_daily",
    metadata,
    sa.Column("metric", sa.String(64), primary_key=True),
    sa.Column("dimension", sa.String(128), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
)
