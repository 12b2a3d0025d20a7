"""Patient files and patients' storage keys in the table (docs/dynamodb.md, "documents").

What SQL keeps unique by index is kept by guard items written in the file's transaction:
one storage key per patient, one file per version of a document, one file per preop slot
of a patient. The preop slot guards are what cap a patient's preop images: two units
taking the last free slot write the same guard, and only one transaction gets it in.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from carehub.adapters.dynamodb.file_items import (
    PENDING_FILES,
    FileChangedMeanwhile,
    PreopSlotRaced,
    StorageKeyRaced,
    VersionRaced,
    document_versions,
    file_item,
    file_key,
    guard_item,
    partition_items,
    patient_file,
    preop_guard,
    preop_slots,
    ready_files,
    storage_key_key,
    version_guard,
)
from carehub.adapters.dynamodb.items import to_wire, utc_text
from carehub.adapters.dynamodb.pages import index_items, query_items
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import NEW_ITEM, Condition
from carehub.documents.model import Category, Kind, PatientFile
from carehub.documents.ports import PreopSlotTaken, VersionTaken
from carehub.kernel.clock import Clock
from carehub.kernel.pagination import Page, cursor_position, encode_cursor

_NEVER = datetime.min.replace(tzinfo=UTC)


def _revision_is(expected: int) -> Condition:
    return Condition("revision = :expected_revision", {":expected_revision": expected})


def _held_by(file_id: str) -> Condition:
    return Condition("file_id = :holder", {":holder": file_id})


class DynamoFileRepository:
    """`carehub.documents.ports.FileRepository` over a DynamoDB session.

    Where SQL's statement fails at once (a taken version or slot, a stale revision), a
    consistent read answers the same way now, before anything is buffered (the unit goes
    on); the buffered writes keep their conditions, so a unit racing this one to the commit
    still fails it.
    """

    def __init__(self, session: DynamoSession, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    async def storage_key(self, patient_id: str, *, new_key: str) -> str:
        found = await self.known_storage_key(patient_id)
        if found is not None:
            return found
        item = guard_item(
            storage_key_key(patient_id), storage_key=new_key, created_at=utc_text(self._clock.now())
        )
        self._session.writes.put(item, condition=NEW_ITEM, refusal=StorageKeyRaced)
        return new_key

    async def known_storage_key(self, patient_id: str) -> str | None:
        item = await self._session.get(storage_key_key(patient_id))
        return None if item is None else str(item["storage_key"])

    async def add(self, file: PatientFile) -> None:
        session = self._session
        if await session.get(file_key(file.id)) is not None:
            raise ValueError(f"file {file.id} exists")  # ids are fresh: as SQL's primary key
        version = version_guard(file.document_id, file.version)
        if await session.get(version) is not None:
            raise VersionTaken()
        if file.preop_slot is not None:
            await self._check_slot_free(file)
        writes = session.writes
        writes.put(file_item(file), condition=NEW_ITEM, refusal=FileChangedMeanwhile)
        writes.put(guard_item(version, file_id=file.id), condition=NEW_ITEM, refusal=VersionRaced)
        if file.preop_slot is not None:
            self._take_slot(file, file.preop_slot)

    async def get(self, file_id: str) -> PatientFile | None:
        item = await self._session.get(file_key(file_id))
        return None if item is None else patient_file(item)

    async def replace(self, file: PatientFile, *, expected_revision: int) -> bool:
        session = self._session
        stored_item = await session.get(file_key(file.id))
        if stored_item is None or stored_item.get("revision") != expected_revision:
            return False
        stored = patient_file(stored_item)
        moved = file.preop_slot != stored.preop_slot
        if moved and file.preop_slot is not None:
            await self._check_slot_free(file)
        writes = session.writes
        writes.put(
            file_item(replace(file, revision=expected_revision + 1)),
            condition=_revision_is(expected_revision),
            refusal=FileChangedMeanwhile,
        )
        if moved and stored.preop_slot is not None:
            writes.delete(
                preop_guard(file.patient_id, stored.preop_slot),
                condition=_held_by(file.id),
                refusal=FileChangedMeanwhile,
            )
        if moved and file.preop_slot is not None:
            self._take_slot(file, file.preop_slot)
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
        """The filters are checked on the files as they come, as SQL's are on its rows:
        the partition is read on in chunks until the page and one more file are found."""
        after = "" if cursor is None else cursor_position(cursor, "id", str)
        partition = ready_files(patient_id)
        found: list[PatientFile] = []
        while len(found) <= limit:
            chunk = await index_items(
                self._session, "GSI1", partition, after=after, limit=limit + 1
            )
            found += [
                f
                for f in map(patient_file, chunk)
                if kind in (None, f.kind)
                and category in (None, f.category)
                and item_id in (None, f.item_id)
            ]
            if len(chunk) <= limit:
                break
            after = str(chunk[-1]["GSI1SK"])
        items = found[:limit]
        more = len(found) > limit
        return Page(items, encode_cursor({"id": items[-1].id}) if more else None)

    async def attached(self, patient_id: str) -> list[PatientFile]:
        items = await index_items(self._session, "GSI1", ready_files(patient_id), limit=None)
        return [f for f in map(patient_file, items) if f.attached]

    async def versions(self, document_id: str) -> list[PatientFile]:
        items = await index_items(self._session, "GSI2", document_versions(document_id), limit=None)
        return [patient_file(item) for item in items]

    async def preop_holders(self, patient_id: str) -> list[PatientFile]:
        """Read from the slot guards (consistent, at most a slot's worth of items), with
        this unit's own slot changes laid over them: a unit that freed or took a slot sees
        it so when it looks again."""
        partition = preop_slots(patient_id)
        stored = await partition_items(self._session, partition, "SLOT#")
        guards = {item["SK"]: item for item in stored}
        for write in self._session.writes.writes():
            pk, sk = write.key
            if pk != partition or not write.visible:
                continue
            if write.image is None:
                guards.pop(sk, None)
            else:
                guards[sk] = write.image
        holders = [await self.get(str(guard["file_id"])) for guard in guards.values()]
        found = [f for f in holders if f is not None]
        # Oldest completed first, never-completed last, as SQL's NULLS LAST orders them.
        return sorted(found, key=lambda f: (f.completed_at is None, f.completed_at or _NEVER, f.id))

    async def expired_pending(self, *, now: datetime, limit: int) -> list[PatientFile]:
        # `{expires}#{id}` sorts before `{now}` only when it expired strictly before now.
        params: dict[str, Any] = {
            "IndexName": "GSI3",
            "KeyConditionExpression": "GSI3PK = :pk AND GSI3SK < :now",
            "ExpressionAttributeValues": to_wire({":pk": PENDING_FILES, ":now": utc_text(now)}),
        }
        found, _ = await query_items(self._session, params, limit)
        return [patient_file(item) for item in found]

    def _take_slot(self, file: PatientFile, slot: int) -> None:
        guard = guard_item(preop_guard(file.patient_id, slot), file_id=file.id)
        self._session.writes.put(guard, condition=NEW_ITEM, refusal=PreopSlotRaced)

    async def _check_slot_free(self, file: PatientFile) -> None:
        if file.preop_slot is None:
            return
        holder = await self._session.get(preop_guard(file.patient_id, file.preop_slot))
        if holder is not None and holder["file_id"] != file.id:
            raise PreopSlotTaken()
