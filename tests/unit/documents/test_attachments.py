"""Files attached to notes, medications and tasks, over the memory adapters: the upload
names an item of its kind of this patient, listings filter by kind and item, and the
document record keeps its seven categories and preop cap to kind doc."""

from __future__ import annotations

from datetime import date

import pytest

from carehub.adapters.memory.objects import MemoryObjectStore
from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.clinical.checklists import Checklist
from carehub.clinical.kinds import ATTACHABLE
from carehub.clinical.medications import Medication
from carehub.clinical.model import Revision
from carehub.clinical.notes import Note, NoteContent
from carehub.clinical.tasks import Task
from carehub.clinical.templates import DISCHARGE
from carehub.documents.events import DocumentUploaded
from carehub.documents.model import PREOP_IMAGE_LIMIT, Category, FileStatus, Kind
from carehub.documents.service import CategoryFiles, DocumentService
from carehub.documents.uploads import UploadRequest, UploadService
from carehub.kernel.errors import FieldError, Invalid
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN, NOW, last_audit
from tests.unit.documents.conftest import DOCTOR, asked, png, upload

NOTE, MED, TASK, CHECKLIST, LUIS_NOTE = "note-1", "med-1", "task-1", "checklist-1", "note-luis"
ITEMS = {Kind.NOTE: NOTE, Kind.MED: MED, Kind.TASK: TASK}


def note(note_id: str, patient_id: str) -> Revision[Note]:
    written = Note(note_id, patient_id, "user-dr", NoteContent(text="Knee swelling"), NOW)
    return Revision(NOW, "user-dr", "written", written)


@pytest.fixture(autouse=True)
async def items(store: MemoryStore, clock: StillClock) -> None:
    """Ana's note, medication, task and checklist, and a note of Luis, written through
    the clinical ports."""
    medication = Medication(MED, "ana", "Ibuprofen", "dr-1", date(2031, 3, 10), NOW)
    task = Task(TASK, "ana", "Change the dressing", "user-dr", NOW)
    checklist = Checklist.started(
        DISCHARGE, checklist_id=CHECKLIST, patient_id="ana", by="user-dr", at=NOW
    )
    async with MemoryUnitOfWork(store, clock) as uow:
        await uow.notes.add(note(NOTE, "ana"))
        await uow.notes.add(note(LUIS_NOTE, "luis"))
        await uow.medications.add(Revision(NOW, "user-dr", "started", medication))
        await uow.tasks.add(Revision(NOW, "user-dr", "created", task))
        await uow.checklists.add(Revision(NOW, "user-dr", "started", checklist))
        await uow.commit()


def attaching(kind: Kind, item_id: str | None, **fields: object) -> UploadRequest:
    request = asked(**fields)
    return UploadRequest(
        filename=request.filename,
        mime_type=request.mime_type,
        kind=kind,
        category=request.category,
        replace_oldest=request.replace_oldest,
        replaces=request.replaces,
        item_id=item_id,
    )


def test_the_kinds_a_file_attaches_to_are_the_clinical_record_s() -> None:
    assert {k.value for k in Kind if k.takes_item} == {k.value for k in ATTACHABLE}


@pytest.mark.parametrize("kind", list(ITEMS))
async def test_a_file_attaches_to_a_note_a_medication_or_a_task(
    uploads: UploadService, objects: MemoryObjectStore, store: MemoryStore, kind: Kind
) -> None:
    ready = await upload(uploads, objects, actor=DOCTOR, request=attaching(kind, ITEMS[kind]))
    assert (ready.status, ready.kind, ready.item_id) == (FileStatus.READY, kind, ITEMS[kind])
    assert f"/{kind.value}s/lab/" in str(ready.original_key)
    assert store.files[ready.id].item_id == ITEMS[kind]
    [event] = store.outbox
    assert isinstance(event, DocumentUploaded)
    assert (event.payload()["kind"], event.payload()["itemId"]) == (kind.value, ITEMS[kind])


async def test_a_document_names_no_item(
    uploads: UploadService, objects: MemoryObjectStore, store: MemoryStore
) -> None:
    ready = await upload(uploads, objects)
    assert (ready.kind, ready.item_id) == (Kind.DOC, None)
    with pytest.raises(Invalid) as refused:
        await uploads.presign(actor=ADMIN, patient_id="ana", request=attaching(Kind.DOC, NOTE))
    assert [e.field for e in refused.value.errors] == ["itemId"]
    assert list(store.files) == [ready.id]


@pytest.mark.parametrize("kind", list(ITEMS))
async def test_a_note_medication_or_task_file_needs_its_item(
    uploads: UploadService, store: MemoryStore, kind: Kind
) -> None:
    with pytest.raises(Invalid) as refused:
        await uploads.presign(actor=ADMIN, patient_id="ana", request=attaching(kind, None))
    assert [e.field for e in refused.value.errors] == ["itemId"]
    assert store.files == {}
    assert last_audit(store) == ("admin-1", "file.presign_upload", "failed", ("ana",))


async def test_another_patient_s_item_is_answered_as_a_missing_one(
    uploads: UploadService, store: MemoryStore
) -> None:
    answers: list[tuple[str, list[FieldError]]] = []
    for item_id in (LUIS_NOTE, "no-such-note"):
        with pytest.raises(Invalid) as refused:
            await uploads.presign(
                actor=ADMIN, patient_id="ana", request=attaching(Kind.NOTE, item_id)
            )
        answers.append((refused.value.detail, refused.value.errors))
    assert answers[0] == answers[1]
    assert [e.field for e in answers[0][1]] == ["itemId"]
    assert LUIS_NOTE not in answers[0][0]
    assert store.files == {}


@pytest.mark.parametrize(
    ("kind", "item_id"),
    [
        (Kind.MED, NOTE),
        (Kind.NOTE, MED),
        (Kind.TASK, MED),
        (Kind.NOTE, TASK),
        (Kind.NOTE, CHECKLIST),
    ],
)
async def test_an_item_of_another_kind_is_refused(
    uploads: UploadService, store: MemoryStore, kind: Kind, item_id: str
) -> None:
    with pytest.raises(Invalid) as refused:
        await uploads.presign(actor=ADMIN, patient_id="ana", request=attaching(kind, item_id))
    assert [e.field for e in refused.value.errors] == ["itemId"]
    assert store.files == {}


async def test_listings_filter_by_kind_and_item(
    uploads: UploadService,
    documents: DocumentService,
    objects: MemoryObjectStore,
    store: MemoryStore,
    clock: StillClock,
) -> None:
    async with MemoryUnitOfWork(store, clock) as uow:
        await uow.notes.add(note("note-2", "ana"))
        await uow.commit()
    doc = await upload(uploads, objects)
    first = await upload(uploads, objects, request=attaching(Kind.NOTE, NOTE))
    second = await upload(uploads, objects, request=attaching(Kind.NOTE, "note-2"))
    med = await upload(uploads, objects, request=attaching(Kind.MED, MED))

    async def listed(**filters: object) -> list[str]:
        listing = await documents.list_files(actor=ADMIN, patient_id="ana", **filters)  # type: ignore[arg-type]
        return [f.id for f in listing.page.items]

    assert await listed() == [doc.id, first.id, second.id, med.id]
    assert await listed(kind=Kind.DOC) == [doc.id]
    assert await listed(kind=Kind.NOTE) == [first.id, second.id]
    assert await listed(item_id=NOTE) == [first.id]
    assert await listed(kind=Kind.NOTE, item_id="note-2") == [second.id]
    assert await listed(kind=Kind.MED, item_id=NOTE) == []
    assert await listed(item_id=MED, category=Category.LAB) == [med.id]
    assert await listed(item_id="no-such-item") == []


async def test_the_document_record_shows_one_kind_at_a_time(
    uploads: UploadService, documents: DocumentService, objects: MemoryObjectStore
) -> None:
    doc = await upload(uploads, objects)
    attached = await upload(uploads, objects, request=attaching(Kind.TASK, TASK))

    def lab(groups: list[CategoryFiles]) -> list[str]:
        [found] = [g for g in groups if g.category is Category.LAB]
        return [f.id for f in found.files]

    by_default = await documents.documents(actor=ADMIN, patient_id="ana")
    assert lab(by_default) == [doc.id]
    by_task = await documents.documents(actor=ADMIN, patient_id="ana", kind=Kind.TASK)
    assert [g.category for g in by_task] == list(Category)
    assert lab(by_task) == [attached.id]
    by_med = await documents.documents(actor=ADMIN, patient_id="ana", kind=Kind.MED)
    assert not any(g.has_files for g in by_med)


async def test_an_image_attached_to_a_note_takes_no_preop_slot(
    uploads: UploadService, objects: MemoryObjectStore
) -> None:
    for _ in range(PREOP_IMAGE_LIMIT):
        await upload(uploads, objects, png(), request=asked(Category.PREOP, "image/png"))
    photo = attaching(Kind.NOTE, NOTE, category=Category.PREOP, mime_type="image/png")
    ready = await upload(uploads, objects, png(), request=photo)
    assert (ready.status, ready.preop_slot, ready.attached) == (FileStatus.READY, None, True)


async def test_a_new_version_keeps_its_item(
    uploads: UploadService, objects: MemoryObjectStore, store: MemoryStore, clock: StillClock
) -> None:
    async with MemoryUnitOfWork(store, clock) as uow:
        await uow.notes.add(note("note-2", "ana"))
        await uow.commit()
    first = await upload(uploads, objects, request=attaching(Kind.NOTE, NOTE))
    second = await upload(uploads, objects, request=attaching(Kind.NOTE, NOTE, replaces=first.id))
    assert (second.document_id, second.version, second.item_id) == (first.document_id, 2, NOTE)
    for moved in (attaching(Kind.NOTE, "note-2", replaces=second.id), asked(replaces=second.id)):
        with pytest.raises(Invalid) as refused:
            await uploads.presign(actor=ADMIN, patient_id="ana", request=moved)
        assert [e.field for e in refused.value.errors] == ["replaces"]
