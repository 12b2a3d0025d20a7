"""The documents domain's events: ids and codes only, never file names, notes or content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Self

from typing_extensions import TypedDict

from carehub.documents.model import PatientFile, Stamp
from carehub.kernel.actor import Actor
from carehub.kernel.events import DomainEvent

DOCUMENT_UPLOADED = "documents.document_uploaded.v1"
FILE_DETACHED = "documents.file_detached.v1"
FILE_DELETED = "documents.file_deleted.v1"
STAMPED = "documents.document_stamped.v1"
STAMP_REMOVED = "documents.stamp_removed.v1"


class FilePayload(TypedDict):
    fileId: str
    patientId: str
    documentId: str
    version: int
    kind: str
    # The note, medication or task a file of that kind is attached to (None for a doc).
    itemId: str | None
    category: str
    mimeType: str


@dataclass(frozen=True, kw_only=True)
class FileEvent(DomainEvent):
    """What every event about one file carries."""

    patient_id: str
    document_id: str
    version: int
    kind: str
    category: str
    mime_type: str
    item_id: str | None = None

    @classmethod
    def of(cls, file: PatientFile, actor: Actor, at: datetime) -> Self:
        return cls(
            aggregate_id=file.id,
            occurred_at=at,
            actor_id=actor.id,
            patient_id=file.patient_id,
            document_id=file.document_id,
            version=file.version,
            kind=file.kind.value,
            category=file.category.value,
            mime_type=file.mime_type,
            item_id=file.item_id,
        )

    def payload(self) -> FilePayload:
        return {
            "fileId": self.aggregate_id,
            "patientId": self.patient_id,
            "documentId": self.document_id,
            "version": self.version,
            "kind": self.kind,
            "itemId": self.item_id,
            "category": self.category,
            "mimeType": self.mime_type,
        }


@dataclass(frozen=True, kw_only=True)
class DocumentUploaded(FileEvent):
    """An upload passed its checks and joined the patient's record (images then get their
    derived variants)."""

    event_type = DOCUMENT_UPLOADED


@dataclass(frozen=True, kw_only=True)
class FileDetached(FileEvent):
    """A file left the patient's record; its objects stay stored."""

    event_type = FILE_DETACHED


@dataclass(frozen=True, kw_only=True)
class FileDeleted(FileEvent):
    """A file's original object was deleted."""

    event_type = FILE_DELETED


class StampPayload(TypedDict):
    stampId: str
    fileId: str
    patientId: str
    category: str


@dataclass(frozen=True, kw_only=True)
class StampEvent(DomainEvent):
    """What every event about one stamp carries."""

    file_id: str
    patient_id: str
    category: str

    @classmethod
    def of(cls, stamp: Stamp, file: PatientFile, actor: Actor) -> Self:
        return cls(
            aggregate_id=stamp.id,
            occurred_at=stamp.removed_at or stamp.stamped_at,
            actor_id=actor.id,
            file_id=file.id,
            patient_id=file.patient_id,
            category=file.category.value,
        )

    def payload(self) -> StampPayload:
        return {
            "stampId": self.aggregate_id,
            "fileId": self.file_id,
            "patientId": self.patient_id,
            "category": self.category,
        }


@dataclass(frozen=True, kw_only=True)
class DocumentStamped(StampEvent):
    """A doctor verified a lab or radiology document."""

    event_type = STAMPED


@dataclass(frozen=True, kw_only=True)
class StampRemoved(StampEvent):
    """An admin removed a verification stamp (the reason stays in the record)."""

    event_type = STAMP_REMOVED
