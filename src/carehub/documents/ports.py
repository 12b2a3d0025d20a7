"""What the documents domain needs: object storage, a CDN, image processing, and records."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from carehub.documents.model import Category, Kind, PatientFile, Stamp
from carehub.kernel.pagination import Page
from carehub.kernel.patient_directory import PatientDirectory
from carehub.kernel.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class UploadForm:
    """A presigned upload: an HTML-form POST (`multipart/form-data`) to `url` of every
    entry of `fields`, in order, then the file itself as the last part, named `file`.
    The store refuses it after `expires_at`, with another content type, or above the size
    it was signed for. `url` is absolute, or a path on carehub's own server."""

    url: str
    fields: Mapping[str, str]
    expires_at: datetime


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


class ObjectMissing(Exception):
    """No object has that key."""


class ObjectTooLarge(Exception):
    """The object is larger than the reader asked to hold."""


class ObjectStore(Protocol):
    """Private object storage with presigned, expiring URLs scoped to one object.

    Keys are checked by the domain before they get here; stores refuse keys that would
    leave their root anyway (`..`, absolute paths).
    """

    async def presign_upload(
        self, *, key: str, content_type: str, max_bytes: int, expires_in: timedelta
    ) -> UploadForm:
        """A form that uploads at most `max_bytes` of `content_type` to `key`."""
        ...

    async def presign_download(
        self, *, key: str, expires_in: timedelta, filename: str | None = None
    ) -> str:
        """A URL that reads `key` (with `Range` support) until it expires; `filename`
        becomes the download's Content-Disposition."""
        ...

    async def head(self, key: str) -> StoredObject | None:
        """The object's size, or None when nothing is stored at `key`."""
        ...

    async def read(self, key: str, *, max_bytes: int) -> bytes:
        """The whole object; ObjectMissing, or ObjectTooLarge above `max_bytes`."""
        ...

    async def write(self, key: str, data: bytes, *, content_type: str) -> None:
        """Store `data` at `key` (replacing what was there), encrypted at rest where the
        store can."""
        ...

    async def delete(self, keys: Sequence[str]) -> None:
        """Delete every key; keys with nothing stored are not an error."""
        ...

    async def close(self) -> None: ...


class StoredObjectEvents(Protocol):
    """Notifications that objects were stored (S3 object-created events through SQS)."""

    async def drain(self, complete: Callable[[str], Awaitable[object]], *, limit: int = 10) -> int:
        """Receive a batch and call `complete` with each stored key; returns how many."""
        ...

    async def close(self) -> None: ...


class CdnInvalidator(Protocol):
    """Tells a CDN in front of the objects to forget deleted ones."""

    async def invalidate(self, keys: Sequence[str]) -> str | None:
        """Ask the CDN to drop `keys`; returns its invalidation id, None without a CDN."""
        ...


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int


class UnreadableImage(Exception):
    """The bytes do not decode as an image of a supported type (or would decode to an
    image too large to hold: a decompression bomb)."""


class ImageProcessor(Protocol):
    """Decodes and derives images. Calls are CPU-bound and synchronous: run them on a
    thread."""

    def inspect(self, data: bytes) -> ImageInfo:
        """The image's size as shown (after its EXIF orientation); UnreadableImage."""
        ...

    def derive(self, data: bytes, *, max_width: int, quality: int) -> bytes:
        """A JPEG at most `max_width` pixels wide (never enlarged), turned upright by its
        EXIF orientation, with no metadata at all (EXIF, GPS, XMP, comments)."""
        ...


class FileRepository(Protocol):
    """Patient files inside a unit of work."""

    async def storage_key(self, patient_id: str, *, new_key: str) -> str:
        """The patient's storage key, giving them `new_key` if they had none (the store
        keeps one per patient, whoever asks first)."""
        ...

    async def known_storage_key(self, patient_id: str) -> str | None:
        """The patient's storage key, or None when they never had a file."""
        ...

    async def add(self, file: PatientFile) -> None:
        """Insert a new file; raises VersionTaken when its document already has that
        version."""
        ...

    async def get(self, file_id: str) -> PatientFile | None: ...

    async def replace(self, file: PatientFile, *, expected_revision: int) -> bool:
        """Store `file` (with revision `expected_revision + 1`) if the stored one still has
        `expected_revision`; False when another writer got there first. Raises
        PreopSlotTaken when another file of the patient holds `file.preop_slot`."""
        ...

    async def ready(
        self,
        patient_id: str,
        *,
        kind: Kind | None,
        category: Category | None,
        item_id: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page[PatientFile]:
        """The patient's ready files (attached or not), oldest first; only those of
        `kind`, `category` and `item_id` where given."""
        ...

    async def attached(self, patient_id: str) -> list[PatientFile]:
        """The patient's ready, attached files, oldest first."""
        ...

    async def versions(self, document_id: str) -> list[PatientFile]:
        """Every file of a document, by version."""
        ...

    async def preop_holders(self, patient_id: str) -> list[PatientFile]:
        """The files holding the patient's preop slots, oldest completed first."""
        ...

    async def expired_pending(self, *, now: datetime, limit: int) -> list[PatientFile]:
        """Pending files whose upload URL expired before `now`, oldest first."""
        ...


class StampRepository(Protocol):
    async def add(self, stamp: Stamp) -> None:
        """Insert a stamp; raises StampExists when the file has an active one."""
        ...

    async def active(self, file_id: str) -> Stamp | None: ...

    async def history(self, file_ids: Sequence[str]) -> dict[str, list[Stamp]]:
        """Every stamp (active and removed) of these files, oldest first."""
        ...

    async def remove(self, stamp: Stamp) -> bool:
        """Store the removal (`removed_*` set) if the stamp is still active."""
        ...


class AttachableItems(Protocol):
    """The clinical record as uploads read it (the clinical domain writes it): the item a
    file of kind note, med or task attaches to. The same reader as the clinical ports'
    `AttachableItems`; documents keeps its own, as scheduling keeps its directories, since
    domains do not import each other."""

    async def patient_of(self, kind: str, item_id: str) -> str | None:
        """The patient whose item of `kind` (note, med, task) has that id; None when none."""
        ...


class VersionTaken(Exception):
    """Another upload took this version of the document first."""


class PreopSlotTaken(Exception):
    """Another preop image of the patient holds that slot."""


class DocumentsUnitOfWork(UnitOfWork, Protocol):
    @property
    def files(self) -> FileRepository: ...

    @property
    def stamps(self) -> StampRepository: ...

    @property
    def patient_directory(self) -> PatientDirectory: ...

    @property
    def attachable_items(self) -> AttachableItems:
        """The notes, medications and tasks a file of their kind may attach to."""
        ...
