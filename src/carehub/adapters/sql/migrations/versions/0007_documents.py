"""Patient files, patients' storage keys and verification stamps.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
_HOLDS_A_SLOT = sa.text("preop_slot IS NOT NULL")
_ACTIVE = sa.text("removed_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "patient_storage_keys",
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(32), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("patient_id", name="pk_patient_storage_keys"),
        sa.UniqueConstraint("storage_key", name="uq_patient_storage_keys_storage_key"),
    )
    op.create_table(
        "patient_files",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(32), nullable=False),
        sa.Column("document_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("mime_type", sa.String(255), nullable=False),
        sa.Column("extension", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("upload_expires_at", Timestamp, nullable=False),
        sa.Column("replace_oldest", sa.Boolean, nullable=False),
        sa.Column("replaces", sa.String(64)),
        sa.Column("attached", sa.Boolean, nullable=False),
        sa.Column("size", sa.BigInteger),
        sa.Column("sha256", sa.String(64)),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("completed_at", Timestamp),
        sa.Column("rejection", sa.Text),
        sa.Column("derived", sa.String(64), nullable=False),
        sa.Column("preop_slot", sa.SmallInteger),
        sa.Column("superseded_by", sa.String(64)),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patient_files"),
        sa.UniqueConstraint("document_id", "version", name="uq_patient_files_document_id_version"),
    )
    op.create_index(
        "uq_patient_files_preop_slot",
        "patient_files",
        ["patient_id", "preop_slot"],
        unique=True,
        sqlite_where=_HOLDS_A_SLOT,
        postgresql_where=_HOLDS_A_SLOT,
    )
    op.create_index(
        "ix_patient_files_patient_id_status_id", "patient_files", ["patient_id", "status", "id"]
    )
    op.create_index(
        "ix_patient_files_status_upload_expires_at_id",
        "patient_files",
        ["status", "upload_expires_at", "id"],
    )
    op.create_table(
        "document_stamps",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("file_id", sa.String(64), nullable=False),
        sa.Column("stamped_by", sa.String(128), nullable=False),
        sa.Column("stamped_at", Timestamp, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("removed_by", sa.String(128)),
        sa.Column("removed_at", Timestamp),
        sa.Column("removal_reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_document_stamps"),
        sa.ForeignKeyConstraint(
            ["file_id"], ["patient_files.id"], name="fk_document_stamps_file_id_patient_files"
        ),
    )
    op.create_index(
        "uq_document_stamps_active",
        "document_stamps",
        ["file_id"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    op.create_index(
        "ix_document_stamps_file_id_stamped_at", "document_stamps", ["file_id", "stamped_at"]
    )


def downgrade() -> None:
    op.drop_table("document_stamps")
    op.drop_table("patient_files")
    op.drop_table("patient_storage_keys")
