"""Uploads: presign a form, then confirm what arrived before it joins the record.

The client uploads straight to object storage. Nothing it sends is trusted: completion
checks that the object exists, its size, that its first bytes are what its MIME type
claims, and that images decode, then records its size and SHA-256. A failing upload is
deleted and never appears in the record.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import NoReturn

from carehub.documents import content
from carehub.documents.access import Gate, check_active
from carehub.documents.attachments import check_item
from carehub.documents.errors import (
    FileNotFound,
    InvalidKey,
    PreopLimitReached,
    UploadExpired,
    UploadMissing,
    UploadRejected,
)
from carehub.documents.events import DocumentUploaded, FileDetached
from carehub.documents.model import (
    PREOP_IMAGE_LIMIT,
    Category,
    FileStatus,
    Kind,
    ObjectKey,
    PatientFile,
    Scope,
)
from carehub.documents.ports import (
    DocumentsUnitOfWork,
    ImageProcessor,
    ObjectMissing,
    ObjectStore,
    UnreadableImage,
    UploadForm,
    VersionTaken,
)
from carehub.documents.preop import FileChanged, take_preop_slot
from carehub.documents.revisions import save
from carehub.kernel.actor import Actor
from carehub.kernel.audit import Outcome
from carehub.kernel.clock import Clock
from carehub.kernel.errors import Conflict, FieldError, Invalid
from carehub.kernel.ids import new_id
from carehub.kernel.races import OneAtATime, run_again_on_lost_race

MAX_FILENAME = 255


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 25 * 1024 * 1024
    url_lifetime: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, kw_only=True)
class UploadRequest:
    """What a client asks to upload (seed 004's presign body, plus versions)."""

    filename: str
    mime_type: str
    kind: Kind
    category: Category
    replace_oldest: bool = False
    replaces: str | None = None
    # The note, medication or task a file of that kind attaches to (None for a doc).
    item_id: str | None = None


@dataclass(frozen=True)
class PresignedUpload:
    file: PatientFile
    form: UploadForm


@dataclass(frozen=True)
class _Opened:
    file: PatientFile
    form: UploadForm | None


@dataclass(frozen=True)
class CheckedContent:
    """What checking an uploaded object found: its size, digest and, for an image, its
    dimensions."""

    size: int
    sha256: str
    width: int | None
    height: int | None


class UploadService:
    """Presigned uploads and their completion."""

    def __init__(
        self,
        uow_factory: Callable[[], DocumentsUnitOfWork],
        clock: Clock,
        *,
        store: ObjectStore,
        images: ImageProcessor,
        limits: UploadLimits,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._store = store
        self._images = images
        self._limits = limits
        self._gate = Gate(clock)
        # Completions of one patient's uploads race for its preop slots.
        self._completing = OneAtATime()

    @property
    def limits(self) -> UploadLimits:
        """The size and URL-lifetime limits uploads are held to (presign responses state them)."""
        return self._limits

    async def presign(
        self, *, actor: Actor, patient_id: str, request: UploadRequest
    ) -> PresignedUpload:
        """A pending file and the form that uploads it (valid for the URL lifetime)."""
        presigned = await self._open(actor, patient_id, request, "file.presign_upload", form=True)
        assert presigned.form is not None
        return PresignedUpload(presigned.file, presigned.form)

    async def upload(
        self, *, actor: Actor, patient_id: str, request: UploadRequest, data: bytes
    ) -> PatientFile:
        """Add a file whose bytes came through carehub (a FHIR attachment's inline data)
        rather than straight to the store: the same pending file, the object written here,
        then the very checks and record of `complete`."""
        if len(data) > self._limits.max_bytes:
            raise UploadRejected("too_large", f"larger than {self._limits.max_bytes} bytes")
        opened = await self._open(actor, patient_id, request, "file.upload", form=False)
        key = str(opened.file.original_key)
        await self._store.write(key, data, content_type=opened.file.mime_type)
        return await self.complete(actor=actor, patient_id=patient_id, key=key)

    async def _open(
        self, actor: Actor, patient_id: str, request: UploadRequest, action: str, *, form: bool
    ) -> _Opened:
        """Check the request and store its pending file (with the form that uploads it
        when `form`), audited as `action`."""
        file_type = _allowed(request.mime_type)
        filename = _display_name(request.filename)
        now = self._clock.now()
        async with self._uow() as uow:
            patient = await self._gate.visible(uow, actor, patient_id, action)
            async with self._gate.checking(uow, actor, action, patient_id=patient_id):
                check_active(patient)
                await check_item(uow, patient_id, request.kind, request.item_id)
                document_id, version = await self._next_version(uow, patient_id, request)
                if (
                    file_type.image
                    and request.kind is Kind.DOC
                    and request.category is Category.PREOP
                    and not (request.replace_oldest or request.replaces)
                    and len(await uow.files.preop_holders(patient_id)) >= PREOP_IMAGE_LIMIT
                ):
                    raise PreopLimitReached(PREOP_IMAGE_LIMIT)
            storage_key = await uow.files.storage_key(patient_id, new_key=uuid.uuid4().hex)
            file = PatientFile(
                id=new_id(),
                patient_id=patient_id,
                storage_key=storage_key,
                document_id=document_id,
                version=version,
                kind=request.kind,
                category=request.category,
                item_id=request.item_id,
                filename=filename,
                mime_type=request.mime_type,
                extension=file_type.extension,
                status=FileStatus.PENDING,
                created_at=now,
                created_by=actor.id,
                upload_expires_at=now + self._limits.url_lifetime,
                replace_oldest=request.replace_oldest,
                replaces=request.replaces,
            )
            try:
                await uow.files.add(file)
            except VersionTaken:
                raise Conflict(
                    "Another version of this document was started at the same time"
                ) from None
            upload_form = None
            if form:
                upload_form = await self._store.presign_upload(
                    key=str(file.original_key),
                    content_type=file.mime_type,
                    max_bytes=self._limits.max_bytes,
                    expires_in=self._limits.url_lifetime,
                )
            uow.audit(self._gate.record(actor, action, patient_id, file.id))
            await uow.commit()
        return _Opened(file, upload_form)

    async def complete(self, *, actor: Actor, patient_id: str, key: str) -> PatientFile:
        """Check what was uploaded to `key` and add it to the record (idempotent)."""
        action = "file.upload"
        async with self._uow() as uow:
            await self._gate.visible(uow, actor, patient_id, action)
            async with self._gate.checking(uow, actor, action, patient_id=patient_id):
                file = await self._pending(uow, patient_id, key)
            if file.status is FileStatus.READY:
                uow.audit(self._gate.record(actor, action, patient_id, file.id))
                await uow.commit()
                return file
        try:
            content_found = await self._check_object(actor, file)
        except ObjectMissing:
            return await self._settled(file)
        try:
            ready = await self._add_to_record(actor, file, content_found)
        except FileChanged:
            return await self._settled(file)
        if ready is None:
            await self._discard(actor, file, "preop_limit")
            raise PreopLimitReached(PREOP_IMAGE_LIMIT)
        return ready

    async def _add_to_record(
        self, actor: Actor, file: PatientFile, found: CheckedContent
    ) -> PatientFile | None:
        """Store the checked file as ready; None when it needs a preop slot and none is free.

        Completions of one patient's images race for the preop slots: in this process they
        queue for the patient; one that lost a slot to another process runs again."""
        async with self._completing.holding(file.patient_id):
            return await run_again_on_lost_race(lambda: self._add_once(actor, file, found))

    async def _add_once(
        self, actor: Actor, file: PatientFile, found: CheckedContent
    ) -> PatientFile | None:
        now = self._clock.now()
        async with self._uow() as uow:
            current = await uow.files.get(file.id)
            if current is not None and current.status is FileStatus.READY:
                return current  # completed meanwhile (by the client, or the store's event)
            if current is None or current.status is not FileStatus.PENDING:
                raise UploadExpired()
            checked = replace(
                current,
                status=FileStatus.READY,
                size=found.size,
                sha256=found.sha256,
                width=found.width,
                height=found.height,
                completed_at=now,
            )
            displaced: list[PatientFile] = []
            if checked.counts_as_preop_image:
                taken = await take_preop_slot(uow, checked)
                if taken is None:
                    return None
                ready, displaced = taken
            else:
                stored = await save(uow, checked)
                if stored is None:
                    raise FileChanged()
                ready = stored
            await self._supersede(uow, ready)
            uow.record(DocumentUploaded.of(ready, actor, now))
            for old in displaced:
                uow.record(FileDetached.of(old, actor, now))
            uow.audit(self._gate.record(actor, "file.upload", file.patient_id, file.id))
            await uow.commit()
        return ready

    async def complete_stored(self, *, key: str) -> PatientFile | None:
        """Complete an upload the object store reported stored (an S3 object-created
        event); None for keys that are not pending uploads. Rejections are reported the
        same way as to a client: the object is deleted and UploadRejected raised."""
        try:
            parsed = ObjectKey.parse(key)
        except InvalidKey:
            return None
        async with self._uow() as uow:
            file = await uow.files.get(parsed.file_id)
        if file is None or str(file.original_key) != key:
            return None
        return await self.complete(
            actor=Actor.system("storage-events"), patient_id=file.patient_id, key=key
        )

    async def _settled(self, file: PatientFile) -> PatientFile:
        """Answer as another completion (the client's, or the store's event) that settled
        the upload while this one checked it did; with none, nothing was uploaded yet.

        A rejection deletes the object before it marks the file rejected (so a crash
        between the two leaves a pending upload that expires, never a stored object no
        record owns): a file still pending is read again for a moment."""
        for attempt in range(_SETTLE_READS):
            if attempt:
                await asyncio.sleep(_SETTLE_PAUSE)
            async with self._uow() as uow:
                current = await uow.files.get(file.id)
            if current is None or current.status is not FileStatus.PENDING:
                break
        if current is not None and current.status is FileStatus.READY:
            return current
        if current is not None and current.status is FileStatus.REJECTED:
            raise UploadRejected(current.rejection or "rejected", "this upload failed its checks")
        raise UploadMissing()

    async def abandon_expired(self, *, limit: int = 100) -> int:
        """Delete uploads never confirmed before their URL expired; returns how many."""
        now = self._clock.now()
        async with self._uow() as uow:
            expired = await uow.files.expired_pending(now=now, limit=limit)
        for file in expired:
            await self._store.delete([str(file.original_key)])
            async with self._uow() as uow:
                await save(uow, replace(file, status=FileStatus.ABANDONED))
                await uow.commit()
        return len(expired)

    async def _next_version(
        self, uow: DocumentsUnitOfWork, patient_id: str, request: UploadRequest
    ) -> tuple[str, int]:
        """A new document (version 1), or the next version of the one `replaces` names."""
        if request.replaces is None:
            return new_id(), 1
        earlier = await uow.files.get(request.replaces)
        if earlier is None or earlier.patient_id != patient_id:
            raise FileNotFound(request.replaces)
        if earlier.status is not FileStatus.READY:
            raise Conflict("Only a file in the record can get a new version")
        if (earlier.kind, earlier.category, earlier.item_id) != (
            request.kind,
            request.category,
            request.item_id,
        ):
            raise Invalid(
                "A new version keeps its document's kind, docType and item",
                errors=[FieldError("replaces", "names a file of another kind, docType or itemId")],
            )
        versions = await uow.files.versions(earlier.document_id)
        return earlier.document_id, max(v.version for v in versions) + 1

    async def _pending(self, uow: DocumentsUnitOfWork, patient_id: str, key: str) -> PatientFile:
        parsed = ObjectKey.parse(key)
        if parsed.scope is not Scope.ORIGINALS:
            raise InvalidKey("complete the key the upload was presigned for (originals)")
        storage_key = await uow.files.known_storage_key(patient_id)
        if storage_key is None or parsed.storage_key != storage_key:
            raise InvalidKey("not a key of this patient")
        file = await uow.files.get(parsed.file_id)
        if file is None or file.patient_id != patient_id or str(file.original_key) != key:
            raise FileNotFound(parsed.file_id)
        if file.status is FileStatus.REJECTED:
            raise UploadRejected(file.rejection or "rejected", "this upload failed its checks")
        if file.status in (FileStatus.ABANDONED, FileStatus.DELETED):
            raise UploadExpired()
        return file

    async def _check_object(self, actor: Actor, file: PatientFile) -> CheckedContent:
        """Size, SHA-256 and (for images) dimensions of the upload; rejects it otherwise."""
        key = str(file.original_key)
        found = await self._store.head(key)
        if found is None:
            raise ObjectMissing(key)  # not uploaded yet, or deleted by a rejection meanwhile
        if found.size > self._limits.max_bytes:
            await self._reject(
                actor, file, "too_large", f"larger than {self._limits.max_bytes} bytes"
            )
        if found.size == 0:
            await self._reject(actor, file, "empty", "the upload is empty")
        data = await self._store.read(key, max_bytes=self._limits.max_bytes)
        detected = content.sniff(data[: content.SNIFF_BYTES])
        if detected is None:
            await self._reject(
                actor, file, "not_allowed", "its content is not an allowed file type"
            )
        if not content.matches(file.mime_type, detected):
            await self._reject(actor, file, "type_mismatch", f"its content is not {file.mime_type}")
        width = height = None
        if file.is_image:
            try:
                info = await asyncio.to_thread(self._images.inspect, data)
            except UnreadableImage:
                await self._reject(actor, file, "unreadable", "the image cannot be decoded")
            else:
                width, height = info.width, info.height
        sha256 = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
        return CheckedContent(len(data), sha256, width, height)

    async def _reject(self, actor: Actor, file: PatientFile, reason: str, detail: str) -> NoReturn:
        """Delete the upload, mark the file rejected and raise UploadRejected."""
        await self._discard(actor, file, reason)
        raise UploadRejected(reason, detail)

    async def _discard(self, actor: Actor, file: PatientFile, reason: str) -> None:
        """Delete the upload and mark the file rejected (audited as a failed upload)."""
        await self._store.delete([str(file.original_key)])
        async with self._uow() as uow:
            current = await uow.files.get(file.id)
            if current is not None and current.status is FileStatus.PENDING:
                await save(uow, replace(current, status=FileStatus.REJECTED, rejection=reason))
            uow.audit(
                self._gate.record(actor, "file.upload", file.patient_id, file.id, Outcome.FAILED)
            )
            await uow.commit()

    async def _supersede(self, uow: DocumentsUnitOfWork, ready: PatientFile) -> None:
        """Mark the version this file replaces as superseded (it stays listed)."""
        if ready.replaces is None:
            return
        earlier = await uow.files.get(ready.replaces)
        if earlier is not None and earlier.superseded_by is None:
            await save(uow, replace(earlier, superseded_by=ready.id, preop_slot=None))


_SETTLE_READS = 10
_SETTLE_PAUSE = 0.05  # seconds: a rejection's mark follows its delete within a few ms


def _allowed(mime_type: str) -> content.FileType:
    found = content.ALLOWED.get(mime_type)
    if found is None:
        allowed = ", ".join(content.ALLOWED)
        raise Invalid(
            f"{mime_type!r} is not an allowed file type",
            errors=[FieldError("mimeType", f"must be one of {allowed}")],
        )
    return found


def _display_name(filename: str) -> str:
    """The name shown for the file: its last path part, without control characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if not name or len(name) > MAX_FILENAME:
        raise Invalid(
            "filename must be 1-255 printable characters",
            errors=[FieldError("filename", "1-255 printable characters")],
        )
    return name
