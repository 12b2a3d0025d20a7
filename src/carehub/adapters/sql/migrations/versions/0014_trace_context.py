"""Outbox rows keep the trace context of the unit that wrote them (`traceparent` and
`tracestate` as JSON; NULL when tracing is off), so a consumer's span continues the trace
of the request that caused the event; webhook deliveries keep its `traceparent`, sent as a
header.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("trace_context", sa.Text(), nullable=True))
    op.add_column("webhook_deliveries", sa.Column("traceparent", sa.String(256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("traceparent")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("trace_context")
