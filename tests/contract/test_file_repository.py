"""The FileRepository port on every backend (memory, SQLite, PostgreSQL): what is stored
comes back, and the store keeps storage keys, document versions and preop slots unique."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from carehub.documents.model import Category, FileStatus, Kind, PatientFile, Scope
from carehub.documents.ports import PreopSlotTaken, VersionTaken
from carehub.kernel.errors import Invalid
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.support.file_records import (
    MINUTE,
    NOW,
    NewDocumentsUnit,
    a_file,
    a_preop_image,
    file_id,
    get,
    store,
)


async def test_every_field_comes_back(new_uow: NewDocumentsUnit) -> None:
    bogota = ZoneInfo("America/Bogota")
    full = a_preop_image(
        1,
        slot=2,
        version=3,
        kind=Kind.NOTE,
        item_id="01890000-0000-7000-8000-00000000abcd",
        filename="Rodilla izquierda (frente).heic",
        mime_type="image/heic",
        extension="heic",
        created_at=NOW.astimezone(bogota),
        upload_expires_at=(NOW + 15 * MINUTE).astimezone(timezone(timedelta(hours=5, minutes=30))),
        completed_at=NOW + 2 * MINUTE + timedelta(microseconds=123456),
        replace_oldest=True,
        replaces=file_id(9),
        size=5_000_000_000,
        sha256="ab" * 32,
        width=4032,
        height=3024,
        derived=frozenset({Scope.OPTIMIZED, Scope.THUMB}),
        superseded_by=file_id(10),
        revision=7,
    )
    bare = a_file(
        2,
        status=FileStatus.PENDING,
        attached=False,
        completed_at=None,
        derived=frozenset(),
    )
    thumb_only = a_file(
        3, status=FileStatus.REJECTED, rejection="type_mismatch", derived=frozenset({Scope.THUMB})
    )
    await store(new_uow, full, bare, thumb_only)
    for stored in (full, bare, thumb_only):
        found = await get(new_uow, stored.id)
        assert found == stored
        assert found.created_at.utcoffset() is not None
    async with new_uow() as uow:
        assert await uow.files.get(file_id(99)) is None


async def test_a_patient_keeps_the_storage_key_they_got_first(new_uow: NewDocumentsUnit) -> None:
    async with new_uow() as uow:
        assert await uow.files.known_storage_key("p-1") is None
        assert await uow.files.storage_key("p-1", new_key="a" * 32) == "a" * 32
        assert await uow.files.storage_key("p-1", new_key="b" * 32) == "a" * 32
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.files.storage_key("p-1", new_key="c" * 32) == "a" * 32
        assert await uow.files.storage_key("p-2", new_key="d" * 32) == "d" * 32
        assert await uow.files.known_storage_key("p-1") == "a" * 32
        # Not committed: p-2's key goes with the unit.
    async with new_uow() as uow:
        assert await uow.files.known_storage_key("p-2") is None


async def test_a_taken_version_is_refused_and_the_unit_goes_on(new_uow: NewDocumentsUnit) -> None:
    first = a_file(1, document_id="doc-x")
    await store(new_uow, first)
    second = a_file(2, document_id="doc-x", version=2)
    async with new_uow() as uow:
        with pytest.raises(VersionTaken):
            await uow.files.add(a_file(3, document_id="doc-x", version=1))
        await uow.files.add(second)
        assert await uow.files.storage_key("p-1", new_key="e" * 32) == "e" * 32
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.files.versions("doc-x") == [first, second]
        assert await uow.files.get(file_id(3)) is None
        assert await uow.files.known_storage_key("p-1") == "e" * 32


async def test_versions_come_in_version_order(new_uow: NewDocumentsUnit) -> None:
    files = [a_file(n, document_id="doc-y", version=4 - n) for n in (1, 2, 3)]
    await store(new_uow, *files, a_file(4))
    async with new_uow() as uow:
        assert [f.version for f in await uow.files.versions("doc-y")] == [1, 2, 3]
        assert await uow.files.versions("doc-none") == []


async def test_a_stale_revision_changes_nothing(new_uow: NewDocumentsUnit) -> None:
    pending = a_file(1, status=FileStatus.PENDING, completed_at=None)
    await store(new_uow, pending)
    ready = replace(pending, status=FileStatus.READY, completed_at=NOW + MINUTE, size=10)
    async with new_uow() as uow:
        assert await uow.files.replace(ready, expected_revision=1)
        late = replace(pending, status=FileStatus.ABANDONED)
        assert not await uow.files.replace(late, expected_revision=1)
        await uow.commit()
    assert await get(new_uow, pending.id) == replace(ready, revision=2)
    async with new_uow() as uow:
        assert not await uow.files.replace(replace(ready, id=file_id(9)), expected_revision=1)
        assert await uow.files.replace(replace(ready, attached=False), expected_revision=2)
        await uow.commit()
    assert await get(new_uow, pending.id) == replace(ready, attached=False, revision=3)


async def test_a_held_preop_slot_is_refused_and_the_unit_goes_on(new_uow: NewDocumentsUnit) -> None:
    holder = a_preop_image(1, slot=1)
    newcomer = a_preop_image(2, slot=None)
    await store(new_uow, holder, newcomer, a_preop_image(3, slot=1, patient="p-2"))
    async with new_uow() as uow:
        with pytest.raises(PreopSlotTaken):
            await uow.files.replace(replace(newcomer, preop_slot=1), expected_revision=1)
        with pytest.raises(PreopSlotTaken):
            await uow.files.add(a_preop_image(4, slot=1))
        # Nothing of the refused writes stayed; the unit goes on.
        assert await uow.files.replace(replace(newcomer, preop_slot=2), expected_revision=1)
        await uow.files.add(a_preop_image(5, slot=3))
        await uow.commit()
    async with new_uow() as uow:
        holders = await uow.files.preop_holders("p-1")
        assert [(f.id, f.preop_slot) for f in holders] == [
            (file_id(1), 1),
            (file_id(2), 2),
            (file_id(5), 3),
        ]
        assert await uow.files.get(file_id(4)) is None
    # A slot given up is free again.
    async with new_uow() as uow:
        released = replace(holder, preop_slot=None, attached=False)
        assert await uow.files.replace(released, expected_revision=1)
        await uow.files.add(a_preop_image(6, slot=1))
        await uow.commit()
    async with new_uow() as uow:
        holders = await uow.files.preop_holders("p-1")
        assert [f.id for f in holders] == [file_id(2), file_id(5), file_id(6)]


async def test_preop_holders_come_oldest_completed_first(new_uow: NewDocumentsUnit) -> None:
    await store(
        new_uow,
        a_preop_image(3, slot=1),
        a_preop_image(1, slot=3),
        a_preop_image(
            2, slot=2, completed_at=(NOW + 2 * MINUTE).astimezone(ZoneInfo("Asia/Tokyo"))
        ),
        a_preop_image(4, slot=None),
        a_preop_image(5, slot=1, patient="p-2"),
    )
    async with new_uow() as uow:
        holders = await uow.files.preop_holders("p-1")
        assert [f.id for f in holders] == [file_id(1), file_id(2), file_id(3)]
        assert await uow.files.preop_holders("p-9") == []


async def every_ready(
    new_uow: NewDocumentsUnit,
    *,
    kind: Kind | None = None,
    category: Category | None = None,
    item_id: str | None = None,
    limit: int,
) -> list[list[str]]:
    """The ids of each page of `ready`, following the cursors."""
    pages: list[list[str]] = []
    cursor: str | None = None
    async with new_uow() as uow:
        while True:
            page = await uow.files.ready(
                "p-1", kind=kind, category=category, item_id=item_id, cursor=cursor, limit=limit
            )
            pages.append([f.id for f in page.items])
            cursor = page.next_cursor
            if cursor is None:
                return pages


async def test_ready_files_are_listed_in_order_with_filters_and_cursors(
    new_uow: NewDocumentsUnit,
) -> None:
    await store(
        new_uow,
        a_file(7, kind=Kind.DOC, category=Category.RADIOLOGY),
        a_file(1, kind=Kind.DOC, category=Category.LAB),
        a_file(3, kind=Kind.NOTE, item_id="note-1", category=Category.LAB, attached=False),
        a_file(5, kind=Kind.DOC, category=Category.LAB),
        a_file(2, status=FileStatus.PENDING),
        a_file(4, status=FileStatus.REJECTED),
        a_file(6, status=FileStatus.DELETED),
        a_file(8, status=FileStatus.ABANDONED),
        a_file(9, patient="p-2"),
        a_file(10, kind=Kind.NOTE, item_id="note-2", category=Category.RADIOLOGY),
        a_file(11, kind=Kind.NOTE, item_id="note-1", category=Category.RADIOLOGY),
        a_file(12, kind=Kind.NOTE, item_id="note-1", status=FileStatus.PENDING),
        a_file(13, kind=Kind.NOTE, item_id="note-1", patient="p-2"),
    )
    ids = [file_id(n) for n in (1, 3, 5, 7, 10, 11)]
    assert await every_ready(new_uow, limit=50) == [ids]
    assert await every_ready(new_uow, limit=2) == [ids[:2], ids[2:4], ids[4:]]
    assert await every_ready(new_uow, limit=4) == [ids[:4], ids[4:]]
    assert await every_ready(new_uow, kind=Kind.DOC, limit=1) == [[ids[0]], [ids[2]], [ids[3]]]
    assert await every_ready(new_uow, category=Category.LAB, limit=50) == [ids[:3]]
    lab_docs = await every_ready(new_uow, kind=Kind.DOC, category=Category.LAB, limit=1)
    assert lab_docs == [[ids[0]], [ids[2]]]
    assert await every_ready(new_uow, kind=Kind.MED, limit=5) == [[]]
    note_1 = [file_id(3), file_id(11)]
    assert await every_ready(new_uow, item_id="note-1", limit=50) == [note_1]
    assert await every_ready(new_uow, item_id="note-1", limit=1) == [[note_1[0]], [note_1[1]]]
    by_kind = await every_ready(new_uow, kind=Kind.NOTE, item_id="note-1", limit=50)
    assert by_kind == [note_1]
    radiology = await every_ready(new_uow, category=Category.RADIOLOGY, item_id="note-1", limit=5)
    assert radiology == [[file_id(11)]]
    assert await every_ready(new_uow, kind=Kind.DOC, item_id="note-1", limit=5) == [[]]
    assert await every_ready(new_uow, item_id="note-9", limit=5) == [[]]
    async with new_uow() as uow:
        attached = await uow.files.attached("p-1")
        assert [f.id for f in attached] == [file_id(n) for n in (1, 5, 7, 10, 11)]
        assert await uow.files.attached("p-9") == []
        with pytest.raises(Invalid):
            await uow.files.ready(
                "p-1", kind=None, category=None, item_id=None, cursor="nope", limit=5
            )


async def test_expired_pending_uploads_come_oldest_first(new_uow: NewDocumentsUnit) -> None:
    def pending(n: int, expires_in: int, **fields: object) -> PatientFile:
        expires = (NOW + expires_in * MINUTE).astimezone(ZoneInfo("Pacific/Auckland"))
        return a_file(
            n, status=FileStatus.PENDING, completed_at=None, upload_expires_at=expires, **fields
        )

    await store(
        new_uow,
        pending(1, 10),
        pending(2, 5),
        pending(3, 5, patient="p-2"),
        pending(4, 20),
        pending(5, 60),
        a_file(6, upload_expires_at=NOW),  # ready: no longer waiting
        a_file(7, status=FileStatus.ABANDONED, upload_expires_at=NOW),
    )
    async with new_uow() as uow:
        due = await uow.files.expired_pending(now=NOW + 30 * MINUTE, limit=10)
        assert [f.id for f in due] == [file_id(n) for n in (2, 3, 1, 4)]
        first = await uow.files.expired_pending(now=NOW + 30 * MINUTE, limit=2)
        assert [f.id for f in first] == [file_id(2), file_id(3)]
        # Strictly before `now`: expiring at 10 minutes is not expired at 10 minutes.
        at_ten = await uow.files.expired_pending(now=NOW + 10 * MINUTE, limit=10)
        assert [f.id for f in at_ten] == [file_id(2), file_id(3)]
        assert await uow.files.expired_pending(now=NOW, limit=10) == []
