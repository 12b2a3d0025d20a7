"""Every version of every patient record as it stood (`patient_versions`), for FHIR's
vread and history. Records stored before it have none of their versions there; their
current version is the record itself.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "patient_versions",
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("recorded_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("patient_id", "version", name="pk_patient_versions"),
    )


def downgrade() -> None:
    op.drop_table("patient_versions")
