"""UploadService over the memory adapters: presigned uploads join the record only once
their content checks out; limits, rejections and expiry are kept and audited."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from carehub.adapters.memory.objects import MemoryObjectStore
from carehub.adapters.memory.store import MemoryStore
from carehub.documents.access import PatientNotVisible
from carehub.documents.errors import PreopLimitReached, UploadMissing, UploadRejected
from carehub.documents.events import DOCUMENT_UPLOADED, FILE_DETACHED
from carehub.documents.model import PREOP_IMAGE_LIMIT, Category, FileStatus
from carehub.documents.uploads import UploadService
from carehub.kernel.errors import Conflict, Invalid
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN, ANA, NOW, event_types, last_audit
from tests.unit.documents.conftest import LIMITS, PDF, STAFF_CO, asked, png, upload


async def test_presigning_starts_a_pending_file_under_an_anonymous_key(
    uploads: UploadService, store: MemoryStore
) -> None:
    presigned = await uploads.presign(actor=ANA, patient_id="ana", request=asked())
    file = presigned.file
    assert (file.status, file.version, file.upload_expires_at) == (
        FileStatus.PENDING,
        1,
        NOW + LIMITS.url_lifetime,
    )
    key = str(file.original_key)
    assert "ana" not in key and "scan" not in key
    assert presigned.form.fields["key"] == key
    assert last_audit(store) == ("user-ana", "file.presign_upload", "allowed", ("ana",))


async def test_a_type_outside_the_allow_list_is_refused(
    uploads: UploadService, store: MemoryStore
) -> None:
    with pytest.raises(Invalid):
        await uploads.presign(actor=ANA, patient_id="ana", request=asked(mime_type="text/html"))
    assert store.files == {}


async def test_an_inactive_patient_takes_no_new_files(
    uploads: UploadService, store: MemoryStore
) -> None:
    with pytest.raises(Conflict):
        await uploads.presign(actor=ADMIN, patient_id="gone", request=asked())
    assert store.files == {}
    assert last_audit(store)[1:3] == ("file.presign_upload", "failed")


async def test_strangers_cannot_upload_and_the_attempt_is_audited(
    uploads: UploadService, store: MemoryStore
) -> None:
    with pytest.raises(PatientNotVisible):
        await uploads.presign(actor=STAFF_CO, patient_id="ana", request=asked())
    assert last_audit(store) == ("staff-co", "file.presign_upload", "denied", ("ana",))
    with pytest.raises(PatientNotVisible):
        await uploads.presign(actor=STAFF_CO, patient_id="nobody", request=asked())
    assert last_audit(store) == ("staff-co", "file.presign_upload", "not_found", ())


async def test_a_checked_upload_joins_the_record_with_its_size_and_hash(
    uploads: UploadService, objects: MemoryObjectStore, store: MemoryStore
) -> None:
    ready = await upload(uploads, objects)
    assert (ready.status, ready.size, ready.sha256) == (
        FileStatus.READY,
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
    )
    assert event_types(store) == [DOCUMENT_UPLOADED]
    again = await uploads.complete(actor=ANA, patient_id="ana", key=str(ready.original_key))
    assert again == ready
    assert event_types(store) == [DOCUMENT_UPLOADED]


async def test_completing_before_the_upload_arrived_is_refused(
    uploads: UploadService, store: MemoryStore
) -> None:
    presigned = await uploads.presign(actor=ANA, patient_id="ana", request=asked())
    key = str(presigned.file.original_key)
    with pytest.raises(UploadMissing):
        await uploads.complete(actor=ANA, patient_id="ana", key=key)
    assert store.files[presigned.file.id].status is FileStatus.PENDING


async def test_content_that_is_not_what_it_claims_is_rejected_and_deleted(
    uploads: UploadService, objects: MemoryObjectStore, store: MemoryStore
) -> None:
    with pytest.raises(UploadRejected) as rejected:
        await upload(uploads, objects, PDF, request=asked(mime_type="image/png"))
    assert rejected.value.reason == "type_mismatch"
    assert objects.objects == {}
    (file,) = store.files.values()
    assert (file.status, file.rejection) == (FileStatus.REJECTED, "type_mismatch")
    assert last_audit(store)[1:3] == ("file.upload", "failed")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"%PDF-" + b"x" * LIMITS.max_bytes, "too_large"),
        (b"MZ\x90\x00", "not_allowed"),
    ],
)
async def test_empty_oversized_and_unknown_uploads_are_rejected(
    uploads: UploadService, objects: MemoryObjectStore, data: bytes, reason: str
) -> None:
    with pytest.raises(UploadRejected) as rejected:
        await upload(uploads, objects, data)
    assert rejected.value.reason == reason
    assert objects.objects == {}


async def test_an_image_that_does_not_decode_is_rejected(
    uploads: UploadService, objects: MemoryObjectStore
) -> None:
    broken = png()[:40]
    with pytest.raises(UploadRejected) as rejected:
        await upload(uploads, objects, broken, request=asked(Category.PREOP, "image/png"))
    assert rejected.value.reason == "unreadable"


async def test_an_image_records_its_dimensions(
    uploads: UploadService, objects: MemoryObjectStore
) -> None:
    ready = await upload(
        uploads, objects, png(8, 5), request=asked(Category.RADIOLOGY, "image/png")
    )
    assert (ready.width, ready.height) == (8, 5)


async def test_a_fourth_preop_image_needs_replace_oldest(
    uploads: UploadService, objects: MemoryObjectStore, store: MemoryStore, clock: StillClock
) -> None:
    preop = asked(Category.PREOP, "image/png")
    first = await upload(uploads, objects, png(), request=preop)
    for _ in range(PREOP_IMAGE_LIMIT - 1):
        clock.advance(timedelta(minutes=1))
        await upload(uploads, objects, png(), request=preop)
    with pytest.raises(PreopLimitReached):
        await uploads.presign(actor=ANA, patient_id="ana", request=preop)
    assert last_audit(store) == ("user-ana", "file.presign_upload", "failed", ("ana",))
    replacing = asked(Category.PREOP, "image/png", replace_oldest=True)
    newest = await upload(uploads, objects, png(), request=replacing)
    assert newest.preop_slot == first.preop_slot
    assert store.files[first.id].attached is False
    assert event_types(store)[-2:] == [DOCUMENT_UPLOADED, FILE_DETACHED]


async def test_a_new_version_supersedes_the_old_one(
    uploads: UploadService, objects: MemoryObjectStore, store: MemoryStore
) -> None:
    first = await upload(uploads, objects)
    second = await upload(uploads, objects, request=asked(replaces=first.id))
    assert (second.document_id, second.version) == (first.document_id, 2)
    assert store.files[first.id].superseded_by == second.id


async def test_uploads_never_confirmed_are_abandoned_once_their_url_expired(
    uploads: UploadService, objects: MemoryObjectStore, store: MemoryStore, clock: StillClock
) -> None:
    presigned = await uploads.presign(actor=ANA, patient_id="ana", request=asked())
    key = str(presigned.file.original_key)
    await objects.write(key, PDF, content_type="application/pdf")
    assert await uploads.abandon_expired() == 0
    clock.advance(LIMITS.url_lifetime + timedelta(seconds=1))
    assert await uploads.abandon_expired() == 1
    assert store.files[presigned.file.id].status is FileStatus.ABANDONED
    assert objects.objects == {}
    with pytest.raises(Conflict):
        await uploads.complete(actor=ANA, patient_id="ana", key=key)


async def test_bytes_sent_through_carehub_pass_the_same_checks_as_an_upload(
    uploads: UploadService, objects: MemoryObjectStore, store: MemoryStore
) -> None:
    file = await uploads.upload(actor=ANA, patient_id="ana", request=asked(), data=PDF)
    assert (file.status, file.size) == (FileStatus.READY, len(PDF))
    assert file.sha256 == hashlib.sha256(PDF).hexdigest()
    assert await objects.read(str(file.original_key), max_bytes=LIMITS.max_bytes) == PDF
    assert [a.action for a in store.audit[-2:]] == ["file.upload", "file.upload"]
    assert event_types(store)[-1] == DOCUMENT_UPLOADED


@pytest.mark.parametrize(
    ("data", "reason"),
    [(png(), "type_mismatch"), (b"", "empty"), (b"plain text", "not_allowed")],
)
async def test_bytes_that_fail_a_check_are_deleted_and_never_join_the_record(
    uploads: UploadService, objects: MemoryObjectStore, store: MemoryStore, data: bytes, reason: str
) -> None:
    with pytest.raises(UploadRejected) as refused:
        await uploads.upload(actor=ANA, patient_id="ana", request=asked(), data=data)
    assert refused.value.reason == reason
    (file,) = store.files.values()
    assert file.status is FileStatus.REJECTED
    assert await objects.head(str(file.original_key)) is None


async def test_bytes_over_the_limit_are_refused_before_anything_is_stored(
    uploads: UploadService, store: MemoryStore
) -> None:
    too_large = PDF + b"\0" * LIMITS.max_bytes
    with pytest.raises(UploadRejected) as refused:
        await uploads.upload(actor=ANA, patient_id="ana", request=asked(), data=too_large)
    assert refused.value.reason == "too_large"
    assert store.files == {}
