"""DocumentService and StampService over the memory adapters: who sees a patient's files,
links and detaching and deleting, and verification stamps; every attempt is audited."""

from __future__ import annotations

import pytest

from carehub.adapters.memory.objects import MemoryObjectStore
from carehub.adapters.memory.store import MemoryStore
from carehub.documents.access import PatientNotVisible
from carehub.documents.errors import FileNotFound, InvalidKey, StampExists
from carehub.documents.events import FILE_DELETED, FILE_DETACHED
from carehub.documents.model import Category, FileStatus, Scope
from carehub.documents.service import DocumentService
from carehub.documents.stamps import StampService
from carehub.documents.uploads import UploadService
from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Forbidden, Invalid
from tests.support.memory_world import ADMIN, ANA, audited, event_types, last_audit
from tests.unit.documents.conftest import DOCTOR, STAFF_CO, STAFF_PE, asked, png, upload

OTHER_DOCTOR = Actor(id="user-dr2", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-2")


async def test_files_are_seen_by_whoever_may_see_the_patient(
    uploads: UploadService, documents: DocumentService, objects: MemoryObjectStore
) -> None:
    ready = await upload(uploads, objects)
    for actor in (ANA, DOCTOR, STAFF_PE, ADMIN):
        listing = await documents.list_files(actor=actor, patient_id="ana")
        assert [f.id for f in listing.page.items] == [ready.id]
    for stranger in (OTHER_DOCTOR, STAFF_CO, Actor(id="u", role=Role.PATIENT, patient_id="luis")):
        with pytest.raises(PatientNotVisible):
            await documents.list_files(actor=stranger, patient_id="ana")


async def test_a_refused_listing_is_audited_as_denied(
    documents: DocumentService, store: MemoryStore
) -> None:
    with pytest.raises(PatientNotVisible):
        await documents.list_files(actor=OTHER_DOCTOR, patient_id="ana")
    assert last_audit(store) == ("user-dr2", "file.list", "denied", ("ana",))


async def test_pending_files_are_not_listed(
    uploads: UploadService, documents: DocumentService
) -> None:
    await uploads.presign(actor=ANA, patient_id="ana", request=asked())
    listing = await documents.list_files(actor=ANA, patient_id="ana")
    assert listing.page.items == []


async def test_each_link_handed_out_is_audited(
    uploads: UploadService,
    documents: DocumentService,
    objects: MemoryObjectStore,
    store: MemoryStore,
) -> None:
    first = await upload(uploads, objects)
    second = await upload(uploads, objects)
    listing = await documents.list_files(
        actor=ANA, patient_id="ana", scope=Scope.ORIGINALS, links=True
    )
    assert set(listing.links) == {first.id, second.id}
    assert listing.links[first.id].startswith(f"memory:{first.original_key}?")
    downloads = [a for a in audited(store) if a[1] == "file.download"]
    assert len(downloads) == 2


async def test_the_record_shows_seven_categories_with_stamps_where_they_apply(
    uploads: UploadService,
    documents: DocumentService,
    stamps: StampService,
    objects: MemoryObjectStore,
) -> None:
    lab = await upload(uploads, objects)
    stamp = await stamps.stamp(actor=DOCTOR, patient_id="ana", file_id=lab.id, note="checked")
    groups = await documents.documents(actor=ANA, patient_id="ana")
    assert [g.category for g in groups] == list(Category)
    by_category = {g.category: g for g in groups}
    assert [f.id for f in by_category[Category.LAB].files] == [lab.id]
    assert by_category[Category.LAB].stamps == {lab.id: [stamp]}
    assert not by_category[Category.PREOP].has_files


async def test_a_key_of_another_patient_gets_no_link(
    uploads: UploadService,
    documents: DocumentService,
    objects: MemoryObjectStore,
    store: MemoryStore,
) -> None:
    theirs = await upload(uploads, objects, patient_id="luis")
    await upload(uploads, objects, patient_id="ana")
    with pytest.raises(InvalidKey):
        await documents.download_url(actor=ANA, patient_id="ana", key=str(theirs.original_key))
    assert last_audit(store) == ("user-ana", "file.download", "failed", ("ana",))


async def test_detaching_takes_a_file_out_of_the_record_once(
    uploads: UploadService,
    documents: DocumentService,
    objects: MemoryObjectStore,
    store: MemoryStore,
) -> None:
    ready = await upload(uploads, objects)
    key = str(ready.original_key)
    with pytest.raises(Invalid):
        await documents.detach(actor=ANA, patient_id="ana", category=Category.PREOP, key=key)
    detached = await documents.detach(actor=ANA, patient_id="ana", category=Category.LAB, key=key)
    assert detached.attached is False
    again = await documents.detach(actor=ANA, patient_id="ana", category=Category.LAB, key=key)
    assert again.attached is False
    assert event_types(store).count(FILE_DETACHED) == 1
    assert (await documents.documents(actor=ANA, patient_id="ana"))[1].files == []
    assert key in objects.objects  # detached, not deleted


async def test_deleting_an_image_removes_every_variant(
    uploads: UploadService,
    documents: DocumentService,
    objects: MemoryObjectStore,
    store: MemoryStore,
) -> None:
    image = await upload(uploads, objects, png(), request=asked(Category.PREOP, "image/png"))
    deletion = await documents.delete(actor=ANA, patient_id="ana", keys=[str(image.original_key)])
    assert set(deletion.deleted) == {str(k) for k in image.all_keys()}
    assert deletion.invalidation_id is None
    assert (store.files[image.id].status, store.files[image.id].preop_slot) == (
        FileStatus.DELETED,
        None,
    )
    assert objects.objects == {}
    assert event_types(store)[-1] == FILE_DELETED


async def test_only_doctors_stamp_and_only_once(
    uploads: UploadService, stamps: StampService, objects: MemoryObjectStore, store: MemoryStore
) -> None:
    lab = await upload(uploads, objects)
    with pytest.raises(Forbidden):
        await stamps.stamp(actor=STAFF_PE, patient_id="ana", file_id=lab.id)
    assert last_audit(store) == ("staff-pe", "document.stamp", "denied", ("ana",))
    await stamps.stamp(actor=DOCTOR, patient_id="ana", file_id=lab.id)
    with pytest.raises(StampExists):
        await stamps.stamp(actor=DOCTOR, patient_id="ana", file_id=lab.id)
    assert last_audit(store) == ("user-dr", "document.stamp", "failed", ("ana",))


async def test_only_lab_and_radiology_documents_are_stamped(
    uploads: UploadService, stamps: StampService, objects: MemoryObjectStore
) -> None:
    discharge = await upload(uploads, objects, request=asked(Category.DISCHARGE))
    with pytest.raises(Invalid):
        await stamps.stamp(actor=DOCTOR, patient_id="ana", file_id=discharge.id)


async def test_an_admin_removes_a_stamp_with_a_reason_that_stays_on_record(
    uploads: UploadService, stamps: StampService, objects: MemoryObjectStore, store: MemoryStore
) -> None:
    lab = await upload(uploads, objects)
    stamp = await stamps.stamp(actor=DOCTOR, patient_id="ana", file_id=lab.id)
    with pytest.raises(Forbidden):
        await stamps.remove(actor=DOCTOR, patient_id="ana", file_id=lab.id, reason="mistake")
    with pytest.raises(Invalid):
        await stamps.remove(actor=ADMIN, patient_id="ana", file_id=lab.id, reason=" ")
    removed = await stamps.remove(actor=ADMIN, patient_id="ana", file_id=lab.id, reason="mistake")
    assert (removed.id, removed.removed_by, removed.removal_reason) == (
        stamp.id,
        "admin-1",
        "mistake",
    )
    assert store.stamps[stamp.id].active is False
    await stamps.stamp(actor=DOCTOR, patient_id="ana", file_id=lab.id)  # stamped afresh


async def test_a_file_is_found_by_its_id_alone_with_its_link(
    uploads: UploadService,
    documents: DocumentService,
    objects: MemoryObjectStore,
    store: MemoryStore,
) -> None:
    ready = await upload(uploads, objects)
    linked = await documents.file(actor=DOCTOR, file_id=ready.id)
    assert linked.file == ready
    assert linked.link.startswith(f"memory:{ready.original_key}?")
    assert audited(store)[-2:] == [
        ("user-dr", "file.read", "allowed", ("ana",)),
        ("user-dr", "file.download", "allowed", ("ana",)),
    ]


async def test_a_file_out_of_reach_or_out_of_the_record_is_missing(
    uploads: UploadService,
    documents: DocumentService,
    objects: MemoryObjectStore,
    store: MemoryStore,
) -> None:
    ready = await upload(uploads, objects)
    with pytest.raises(FileNotFound):
        await documents.file(actor=OTHER_DOCTOR, file_id=ready.id)
    assert last_audit(store) == ("user-dr2", "file.read", "denied", ("ana",))
    pending = await uploads.presign(actor=ANA, patient_id="ana", request=asked())
    for missing in (pending.file.id, "nothing"):
        with pytest.raises(FileNotFound):
            await documents.file(actor=ADMIN, file_id=missing)
        assert last_audit(store) == ("admin-1", "file.read", "not_found", ())
