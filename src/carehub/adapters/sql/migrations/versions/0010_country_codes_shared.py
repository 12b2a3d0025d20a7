"""Country codes are no longer unique: several country records may share an ISO code (and
so its rule set), as seed 001's "002" for CL beside the shipped "CL". Lookups by code
keep an index.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode rebuilds the table on SQLite, which cannot drop a constraint in place.
    with op.batch_alter_table("countries") as batch:
        batch.drop_constraint("uq_countries_code", type_="unique")
        batch.create_index("ix_countries_code", ["code"])


def downgrade() -> None:
    with op.batch_alter_table("countries") as batch:
        batch.drop_index("ix_countries_code")
        batch.create_unique_constraint("uq_countries_code", ["code"])
