"""Drop the audit trail's request-id index: no query reads by request id, and each index
costs every audited read a page write at commit.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_audit_entries_request_id", table_name="audit_entries")


def downgrade() -> None:
    op.create_index("ix_audit_entries_request_id", "audit_entries", ["request_id"])
