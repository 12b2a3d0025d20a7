"""One patient account per patient record: `users.patient_id` becomes unique (NULLs, the
accounts of the other roles, never collide). A database that already holds two accounts
linked to one record refuses this upgrade: unlink one of them first.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_users_patient_id", "users", ["patient_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_users_patient_id", table_name="users")
