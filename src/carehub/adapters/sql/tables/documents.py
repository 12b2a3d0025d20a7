"""Patient files (one row per uploaded file, i.e. per version of a document), the storage
key each patient's objects live under, and verification stamps."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.tables.base import Timestamp, metadata

_HOLDS_A_SLOT = sa.text("preop_slot IS NOT NULL")
_ACTIVE = sa.text("removed_at IS NULL")

# The random key in a patient's object keys, given on their first file. One per patient,
# and never two patients with the same one.
patient_storage_keys = sa.Table(
    "patient_storage_keys",
    metadata,
    sa.Column("patient_id", sa.String(64), primary_key=True),
    sa.Column("storage_key", sa.String(32), nullable=False, unique=True),
    sa.Column("created_at", Timestamp, nullable=False),
)

patient_files = sa.Table(
    "patient_files",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
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
    # The derived scopes that exist, comma-separated ("optimized,thumb"; "" for none).
    sa.Column("derived", sa.String(64), nullable=False),
    sa.Column("preop_slot", sa.SmallInteger),
    sa.Column("superseded_by", sa.String(64)),
    sa.Column("revision", sa.Integer, nullable=False),
    # The note, medication or task a file of that kind is attached to.
    sa.Column("item_id", sa.String(64)),
    # One upload per version of a document; also serves `versions` (by document, by version).
    sa.UniqueConstraint("document_id", "version"),
    # The store keeps preop slots unique per patient: what caps preop images at three.
    # Also serves `preop_holders` (at most three rows, sorted after the read).
    sa.Index(
        "uq_patient_files_preop_slot",
        "patient_id",
        "preop_slot",
        unique=True,
        sqlite_where=_HOLDS_A_SLOT,
        postgresql_where=_HOLDS_A_SLOT,
    ),
    # `ready` and `attached`, in id (time) order. Kind, category, item and attached are
    # checked on the patient's ready rows as they are read: a patient has tens of files,
    # not thousands, so a filter column in the index would not pay for itself.
    sa.Index("ix_patient_files_patient_id_status_id", "patient_id", "status", "id"),
    # An item's attachments.
    sa.Index("ix_patient_files_item_id", "item_id"),
    # `expired_pending`: the sweep of uploads never confirmed.
    sa.Index("ix_patient_files_status_upload_expires_at_id", "status", "upload_expires_at", "id"),
)

document_stamps = sa.Table(
    "document_stamps",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("file_id", sa.String(64), sa.ForeignKey("patient_files.id"), nullable=False),
    sa.Column("stamped_by", sa.String(128), nullable=False),
    sa.Column("stamped_at", Timestamp, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("removed_by", sa.String(128)),
    sa.Column("removed_at", Timestamp),
    sa.Column("removal_reason", sa.Text),
    # One active stamp per file, kept by the store; also serves `active`.
    sa.Index(
        "uq_document_stamps_active",
        "file_id",
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    ),
    # `history`: every stamp of a file, oldest first.
    sa.Index("ix_document_stamps_file_id_stamped_at", "file_id", "stamped_at"),
)
