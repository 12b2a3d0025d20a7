"""Documents request and response bodies (seed 004's routes), and their mapping."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StrictBool, StringConstraints, field_validator, model_validator

from carehub.documents.model import (
    CATEGORY_ALIASES,
    STAMPABLE,
    Category,
    Kind,
    PatientFile,
    Scope,
    Stamp,
    category_named,
)
from carehub.documents.service import CategoryFiles, Deletion
from carehub.documents.uploads import PresignedUpload, UploadRequest
from carehub.web.schemas import WireModel
from carehub.web.text import MANY_LINES, NAME, ONE_LINE

Key = Annotated[str, StringConstraints(min_length=1, max_length=512), ONE_LINE]
ItemId = Annotated[str, StringConstraints(min_length=1, max_length=64), ONE_LINE]
CATEGORY_NAMES = ", ".join([c.value for c in Category] + list(CATEGORY_ALIASES))


class PresignUploadRequest(WireModel):
    """Seed 004's presign body; `replaceOldest`, `replaces` and `itemId` are carehub's
    additions."""

    filename: Annotated[str, StringConstraints(min_length=1, max_length=1024), NAME]
    mime_type: Annotated[str, StringConstraints(min_length=3, max_length=100), ONE_LINE]
    kind: Kind = Field(
        Kind.DOC, description="doc (the document record), or the kind of item it attaches to"
    )
    item_id: ItemId | None = Field(
        None,
        description="The note, medication or task the file attaches to: required for kinds "
        "note, med and task (an item of that kind of this patient), refused for doc",
    )
    doc_type: Category = Field(description="One of the seven document categories")
    replace_oldest: StrictBool = Field(
        False, description="With three preop images already, replace the oldest"
    )
    replaces: Annotated[str, StringConstraints(max_length=64), ONE_LINE] | None = Field(
        None, description="Upload a new version of this file's document"
    )

    @field_validator("doc_type", mode="before")
    @classmethod
    def _aliases(cls, value: Any) -> Any:
        return _category(value)

    def to_request(self) -> UploadRequest:
        return UploadRequest(
            filename=self.filename,
            mime_type=self.mime_type.strip().lower(),
            kind=self.kind,
            category=self.doc_type,
            replace_oldest=self.replace_oldest,
            replaces=self.replaces,
            item_id=self.item_id,
        )


class PresignUploadRead(WireModel):
    """Upload by POSTing `fields` then the file (as `file`) to `uploadUrl` as
    multipart/form-data, then confirm with `POST .../files/complete {key}`."""

    upload_url: str
    method: str
    fields: dict[str, str]
    key: str
    expires_at: datetime
    expires_in: int
    file_id: str
    document_id: str
    version: int
    max_bytes: int


class CompleteUploadRequest(WireModel):
    key: Key


class DetachRequest(WireModel):
    category: Category = Field(description=f"A docType or seed 004's list name: {CATEGORY_NAMES}")
    key: Key

    @field_validator("category", mode="before")
    @classmethod
    def _aliases(cls, value: Any) -> Any:
        return _category(value)


class DeleteFilesRequest(WireModel):
    key: Key | None = None
    keys: list[Key] | None = Field(None, max_length=100)
    invalidate: StrictBool = Field(True, description="Ask the CDN (if any) to forget the objects")
    include_siblings: StrictBool = Field(True, description="Also delete every variant of each file")

    @model_validator(mode="after")
    def _some_key(self) -> DeleteFilesRequest:
        if self.key is None and not self.keys:
            raise ValueError("send key or keys")
        return self

    def all_keys(self) -> list[str]:
        return ([self.key] if self.key else []) + list(self.keys or [])


class StampCreate(WireModel):
    note: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), MANY_LINES] | None
    ) = None


class StampRemovalRequest(WireModel):
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500), MANY_LINES
    ]


class StampRead(WireModel):
    stamp_id: str
    file_id: str
    stamped_by: str
    stamped_at: datetime
    note: str | None
    removed_by: str | None
    removed_at: datetime | None
    removal_reason: str | None


class FileRead(WireModel):
    file_id: str
    document_id: str
    version: int
    current: bool
    kind: Kind
    item_id: str | None = Field(description="The note, medication or task it attaches to")
    doc_type: Category
    filename: str
    mime_type: str
    status: str
    attached: bool
    size: int | None
    sha256: str | None
    width: int | None
    height: int | None
    created_at: datetime
    uploaded_at: datetime | None
    key: str = Field(description="The key of the listed scope (the original until derived)")
    scope: Scope
    variants: dict[str, str | None]
    download_url: str | None = None
    stamp: StampRead | None = None
    stamps: list[StampRead] | None = None


class FilePage(WireModel):
    items: list[FileRead]
    next_cursor: str | None
    scope: Scope


class CategoryRead(WireModel):
    category: Category
    has_files: bool
    files: list[FileRead]


class DocumentsRead(WireModel):
    patient_id: str
    categories: list[CategoryRead]


class DeletionRead(WireModel):
    deleted: list[str]
    invalidation_id: str | None


def _category(value: Any) -> Any:
    if isinstance(value, str):
        found = category_named(value)
        return found.value if found is not None else value
    return value


def presigned_json(presigned: PresignedUpload, *, url: str, max_bytes: int, lifetime: int) -> Any:
    file, form = presigned.file, presigned.form
    return {
        "uploadUrl": url,
        "method": "POST",
        "fields": dict(form.fields),
        "key": str(file.original_key),
        "expiresAt": form.expires_at,
        "expiresIn": lifetime,
        "fileId": file.id,
        "documentId": file.document_id,
        "version": file.version,
        "maxBytes": max_bytes,
    }


def stamp_json(stamp: Stamp) -> dict[str, Any]:
    return {
        "stampId": stamp.id,
        "fileId": stamp.file_id,
        "stampedBy": stamp.stamped_by,
        "stampedAt": stamp.stamped_at,
        "note": stamp.note,
        "removedBy": stamp.removed_by,
        "removedAt": stamp.removed_at,
        "removalReason": stamp.removal_reason,
    }


def file_json(
    file: PatientFile,
    scope: Scope = Scope.OPTIMIZED,
    *,
    link: str | None = None,
    stamps: list[Stamp] | None = None,
) -> dict[str, Any]:
    shown = file.shown_key(scope)
    body: dict[str, Any] = {
        "fileId": file.id,
        "documentId": file.document_id,
        "version": file.version,
        "current": file.current,
        "kind": file.kind.value,
        "itemId": file.item_id,
        "docType": file.category.value,
        "filename": file.filename,
        "mimeType": file.mime_type,
        "status": file.status.value,
        "attached": file.attached,
        "size": file.size,
        "sha256": file.sha256,
        "width": file.width,
        "height": file.height,
        "createdAt": file.created_at,
        "uploadedAt": file.completed_at,
        "key": str(shown),
        "scope": shown.scope.value,
        "variants": {
            s.value: str(file.key(s)) if s is Scope.ORIGINALS or s in file.derived else None
            for s in Scope
        },
    }
    if link is not None:
        body["downloadUrl"] = link
    if stamps is not None:
        active = next((s for s in stamps if s.active), None)
        body["stamp"] = None if active is None else stamp_json(active)
        body["stamps"] = [stamp_json(s) for s in stamps]
    return body


def category_json(group: CategoryFiles) -> dict[str, Any]:
    stampable = group.category in STAMPABLE
    return {
        "category": group.category.value,
        "hasFiles": group.has_files,
        "files": [
            file_json(f, stamps=group.stamps.get(f.id, []) if stampable else None)
            for f in group.files
        ],
    }


def deletion_json(deletion: Deletion) -> dict[str, Any]:
    return {"deleted": deletion.deleted, "invalidationId": deletion.invalidation_id}
