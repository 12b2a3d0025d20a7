"""Doctors are found by license (`find_by_license`: FHIR imports match a Practitioner's NPI
to a doctor), in id order: an index on (license, id). Licenses are not made unique, as
records made before may repeat one.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_doctors_license_id", "doctors", ["license", "id"])


def downgrade() -> None:
    op.drop_index("ix_doctors_license_id", table_name="doctors")
