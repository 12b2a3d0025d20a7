"""Patient files, storage keys and stamps in memory (`carehub.documents.ports`), unique
where the SQL store is: one storage key per patient, one file per version of a document,
one file per preop slot of a patient, one active stamp per file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from carehub.adapters.memory.pages import page_of
from carehub.adapters.memory.store import MemoryStore
from carehub.documents.errors import StampExists
from carehub.documents.model import Category, FileStatus, Kind, PatientFile, Stamp
from carehub.documents.ports import PreopSlotTaken, VersionTaken
from carehub.kernel.pagination import Page, cursor_position

_NEVER = datetime.min.replace(tzinfo=UTC)


class MemoryFiles:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def storage_key(self, patient_id: str, *, new_key: str) -> str:
        found = self._store.storage_keys.get(patient_id)
        if found is not None:
            return found
        if new_key in self._store.storage_keys.values():
            raise ValueError("storage key taken by another patient")  # SQL's unique index
        self._store.storage_keys[patient_id] = new_key
        return new_key

    async def known_storage_key(self, patient_id: str) -> str | None:
        return self._store.storage_keys.get(patient_id)

    async def add(self, file: PatientFile) -> None:
        if file.id in self._store.files:
            raise ValueError(f"file {file.id} exists")
        if any(
            (f.document_id, f.version) == (file.document_id, file.version)
            for f in self._store.files.values()
        ):
            raise VersionTaken()
        self._check_slot_free(file)
        self._store.files[file.id] = file

    async def get(self, file_id: str) -> PatientFile | None:
        return self._store.files.get(file_id)

    async def replace(self, file: PatientFile, *, expected_revision: int) -> bool:
        current = self._store.files.get(file.id)
        if current is None or current.revision != expected_revision:
            return False
        self._check_slot_free(file)
        self._store.files[file.id] = replace(file, revision=expected_revision + 1)
        return True

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
        after = "" if cursor is None else cursor_position(cursor, "id", str)
        found = [
            f
            for f in self._ready(patient_id)
            if f.id > after
            and kind in (None, f.kind)
            and category in (None, f.category)
            and item_id in (None, f.item_id)
        ]
        return page_of(found, limit, lambda f: {"id": f.id})

    async def attached(self, patient_id: str) -> list[PatientFile]:
        return [f for f in self._ready(patient_id) if f.attached]

    async def versions(self, document_id: str) -> list[PatientFile]:
        found = [f for f in self._store.files.values() if f.document_id == document_id]
        return sorted(found, key=lambda f: f.version)

    async def preop_holders(self, patient_id: str) -> list[PatientFile]:
        found = [
            f
            for f in self._store.files.values()
            if f.patient_id == patient_id and f.preop_slot is not None
        ]
        # Oldest completed first, never-completed last, as SQL's NULLS LAST orders them.
        return sorted(found, key=lambda f: (f.completed_at is None, f.completed_at or _NEVER, f.id))

    async def expired_pending(self, *, now: datetime, limit: int) -> list[PatientFile]:
        found = [
            f
            for f in self._store.files.values()
            if f.status is FileStatus.PENDING and f.upload_expires_at < now
        ]
        return sorted(found, key=lambda f: (f.upload_expires_at, f.id))[:limit]

    def _ready(self, patient_id: str) -> list[PatientFile]:
        return [
            f
            for _, f in sorted(self._store.files.items())
            if f.patient_id == patient_id and f.status is FileStatus.READY
        ]

    def _check_slot_free(self, file: PatientFile) -> None:
        if file.preop_slot is None:
            return
        if any(
            (f.patient_id, f.preop_slot) == (file.patient_id, file.preop_slot) and f.id != file.id
            for f in self._store.files.values()
        ):
            raise PreopSlotTaken()


class MemoryStamps:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, stamp: Stamp) -> None:
        if stamp.id in self._store.stamps:
            raise ValueError(f"stamp {stamp.id} exists")  # SQL's primary key refuses it too
        if await self.active(stamp.file_id) is not None:
            raise StampExists()
        self._store.stamps[stamp.id] = stamp

    async def active(self, file_id: str) -> Stamp | None:
        return next(
            (s for s in self._store.stamps.values() if s.file_id == file_id and s.active), None
        )

    async def history(self, file_ids: Sequence[str]) -> dict[str, list[Stamp]]:
        found: dict[str, list[Stamp]] = {file_id: [] for file_id in file_ids}
        for s in sorted(self._store.stamps.values(), key=lambda s: (s.stamped_at, s.id)):
            if s.file_id in found:
                found[s.file_id].append(s)
        return found

    async def remove(self, stamp: Stamp) -> bool:
        if stamp.removed_at is None:
            raise ValueError("a removal needs removed_at")
        current = self._store.stamps.get(stamp.id)
        if current is None or not current.active:
            return False
        self._store.stamps[stamp.id] = replace(
            current,
            removed_by=stamp.removed_by,
            removed_at=stamp.removed_at,
            removal_reason=stamp.removal_reason,
        )
        return True
