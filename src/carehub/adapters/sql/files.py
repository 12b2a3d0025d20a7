"""Patient files and patients' storage keys in SQL (SQLite and PostgreSQL), one code path.

The store keeps what must be unique (migration 0007): one storage key per patient, one
file per version of a document, one file per preop slot of a patient. Writes that could
break one run in a savepoint, so the refusal leaves the unit of work usable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from carehub.adapters.sql.database import (
    Row,
    Session,
    Statement,
    UniqueViolation,
    as_datetime,
    as_utc,
    insert_into,
)
from carehub.adapters.sql.tables import patient_files, patient_storage_keys
from carehub.documents.model import Category, FileStatus, Kind, PatientFile, Scope
from carehub.documents.ports import PreopSlotTaken, VersionTaken
from carehub.kernel.clock import Clock
from carehub.kernel.pagination import Page, cursor_position, encode_cursor

_k = patient_storage_keys.c
_f = patient_files.c

# Inserts only when the patient has no key yet: concurrent first files of one patient all
# end up reading the one key that got in (PostgreSQL makes the later inserts wait for the
# first one's transaction, SQLite has one writer). A storage key taken by another patient
# is not covered by the conflict target and still raises.
_INSERT_KEY_UNLESS_PRESENT = Statement(
    sa.text("""
INSERT INTO patient_storage_keys (patient_id, storage_key, created_at)
VALUES (:patient_id, :storage_key, :created_at)
ON CONFLICT (patient_id) DO NOTHING
""").bindparams(*[sa.bindparam(c.name, type_=c.type) for c in patient_storage_keys.c])
)
_GET_KEY = Statement(sa.select(_k.storage_key).where(_k.patient_id == sa.bindparam("patient_id")))

_INSERT = insert_into(patient_files, generated=())
_GET = Statement(sa.select(patient_files).where(_f.id == sa.bindparam("id")))
_UPDATE = Statement(
    sa.update(patient_files)
    .where(_f.id == sa.bindparam("b_id"), _f.revision == sa.bindparam("expected"))
    .values({c.name: sa.bindparam(c.name, type_=c.type) for c in _f if c.name != "id"})
)

_PATIENT = _f.patient_id == sa.bindparam("patient_id")
_READY = _f.status == FileStatus.READY.value
_KIND = sa.bindparam("kind", type_=_f.kind.type)
_CATEGORY = sa.bindparam("category", type_=_f.category.type)
_ITEM = sa.bindparam("item_id", type_=_f.item_id.type)
_LIMIT = sa.bindparam("limit", type_=sa.Integer)
# The patient's ready files from ix_patient_files_patient_id_status_id, in id order; an
# absent filter is a NULL parameter, and a given one is checked on the rows as they come.
_READY_PAGE = Statement(
    sa.select(patient_files)
    .where(
        _PATIENT,
        _READY,
        _f.id > sa.bindparam("after"),
        sa.or_(_KIND.is_(None), _f.kind == _KIND),
        sa.or_(_CATEGORY.is_(None), _f.category == _CATEGORY),
        sa.or_(_ITEM.is_(None), _f.item_id == _ITEM),
    )
    .order_by(_f.id)
    .limit(_LIMIT)
)
_ATTACHED = Statement(
    sa.select(patient_files).where(_PATIENT, _READY, _f.attached == sa.true()).order_by(_f.id)
)
_VERSIONS = Statement(
    sa.select(patient_files)
    .where(_f.document_id == sa.bindparam("document_id"))
    .order_by(_f.version)
)
# The literal predicate matches the partial unique index's, so the planner may use it.
_PREOP_HOLDERS = Statement(
    sa.select(patient_files)
    .where(_PATIENT, sa.text("preop_slot IS NOT NULL"))
    .order_by(_f.completed_at.nulls_last(), _f.id)
)
_EXPIRED_PENDING = Statement(
    sa.select(patient_files)
    .where(
        _f.status == FileStatus.PENDING.value,
        _f.upload_expires_at < sa.bindparam("now", type_=_f.upload_expires_at.type),
    )
    .order_by(_f.upload_expires_at, _f.id)
    .limit(_LIMIT)
)

_VERSION_COLUMNS = ("document_id", "version")
_SLOT_COLUMNS = ("patient_id", "preop_slot")


class SqlFileRepository:
    """`carehub.documents.ports.FileRepository` over a SQL session."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    async def storage_key(self, patient_id: str, *, new_key: str) -> str:
        # Most calls find the key; only a patient's first file writes (conditionally).
        found = await self.known_storage_key(patient_id)
        if found is not None:
            return found
        row = {"patient_id": patient_id, "storage_key": new_key, "created_at": self._now()}
        await self._session.execute(_INSERT_KEY_UNLESS_PRESENT, row)
        found = await self.known_storage_key(patient_id)
        if found is None:  # cannot happen: the row was inserted or was there
            raise RuntimeError("the storage key vanished after its insert")
        return found

    async def known_storage_key(self, patient_id: str) -> str | None:
        row = await self._session.fetch_one(_GET_KEY, {"patient_id": patient_id})
        return None if row is None else str(row["storage_key"])

    async def add(self, file: PatientFile) -> None:
        try:
            async with self._session.savepoint():
                await self._session.execute(_INSERT, file_row(file))
        except UniqueViolation as exc:
            raise _domain_error(exc) from exc

    async def get(self, file_id: str) -> PatientFile | None:
        row = await self._session.fetch_one(_GET, {"id": file_id})
        return None if row is None else file_from_row(row)

    async def replace(self, file: PatientFile, *, expected_revision: int) -> bool:
        params = file_row(file)
        del params["id"]
        params.update(revision=expected_revision + 1, b_id=file.id, expected=expected_revision)
        if file.preop_slot is None:
            # Outside the slot index, nothing unique can change (a file keeps its document
            # and version): no savepoint round trips.
            return await self._session.execute(_UPDATE, params) == 1
        try:
            async with self._session.savepoint():
                return await self._session.execute(_UPDATE, params) == 1
        except UniqueViolation as exc:
            raise _domain_error(exc) from exc

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
        params = {
            "patient_id": patient_id,
            "after": after,
            "kind": None if kind is None else kind.value,
            "category": None if category is None else category.value,
            "item_id": item_id,
            "limit": limit + 1,
        }
        rows = await self._session.fetch_all(_READY_PAGE, params)
        items = [file_from_row(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor({"id": items[-1].id}) if more else None)

    async def attached(self, patient_id: str) -> list[PatientFile]:
        rows = await self._session.fetch_all(_ATTACHED, {"patient_id": patient_id})
        return [file_from_row(r) for r in rows]

    async def versions(self, document_id: str) -> list[PatientFile]:
        rows = await self._session.fetch_all(_VERSIONS, {"document_id": document_id})
        return [file_from_row(r) for r in rows]

    async def preop_holders(self, patient_id: str) -> list[PatientFile]:
        rows = await self._session.fetch_all(_PREOP_HOLDERS, {"patient_id": patient_id})
        return [file_from_row(r) for r in rows]

    async def expired_pending(self, *, now: datetime, limit: int) -> list[PatientFile]:
        params = {"now": as_utc(now), "limit": limit}
        return [file_from_row(r) for r in await self._session.fetch_all(_EXPIRED_PENDING, params)]

    def _now(self) -> datetime:
        return as_utc(self._clock.now())


def _domain_error(exc: UniqueViolation) -> Exception:
    if exc.columns == _VERSION_COLUMNS:
        return VersionTaken()
    if exc.columns == _SLOT_COLUMNS:
        return PreopSlotTaken()
    return exc


def _derived_text(scopes: frozenset[Scope]) -> str:
    return ",".join(s.value for s in Scope if s in scopes)


def _derived(text: str) -> frozenset[Scope]:
    return frozenset(Scope(s) for s in text.split(",") if s)


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else as_datetime(value)


def file_row(f: PatientFile) -> dict[str, Any]:
    return {
        "id": f.id,
        "patient_id": f.patient_id,
        "storage_key": f.storage_key,
        "document_id": f.document_id,
        "version": f.version,
        "kind": f.kind.value,
        "category": f.category.value,
        "filename": f.filename,
        "mime_type": f.mime_type,
        "extension": f.extension,
        "status": f.status.value,
        "created_at": as_utc(f.created_at),
        "created_by": f.created_by,
        "upload_expires_at": as_utc(f.upload_expires_at),
        "replace_oldest": f.replace_oldest,
        "replaces": f.replaces,
        "attached": f.attached,
        "size": f.size,
        "sha256": f.sha256,
        "width": f.width,
        "height": f.height,
        "completed_at": None if f.completed_at is None else as_utc(f.completed_at),
        "rejection": f.rejection,
        "derived": _derived_text(f.derived),
        "preop_slot": f.preop_slot,
        "superseded_by": f.superseded_by,
        "revision": f.revision,
        "item_id": f.item_id,
    }


def file_from_row(row: Row) -> PatientFile:
    return PatientFile(
        id=row["id"],
        patient_id=row["patient_id"],
        storage_key=row["storage_key"],
        document_id=row["document_id"],
        version=row["version"],
        kind=Kind(row["kind"]),
        category=Category(row["category"]),
        filename=row["filename"],
        mime_type=row["mime_type"],
        extension=row["extension"],
        status=FileStatus(row["status"]),
        created_at=as_datetime(row["created_at"]),
        created_by=row["created_by"],
        upload_expires_at=as_datetime(row["upload_expires_at"]),
        replace_oldest=bool(row["replace_oldest"]),
        replaces=row["replaces"],
        attached=bool(row["attached"]),
        size=row["size"],
        sha256=row["sha256"],
        width=row["width"],
        height=row["height"],
        completed_at=_optional_time(row["completed_at"]),
        rejection=row["rejection"],
        derived=_derived(row["derived"]),
        preop_slot=row["preop_slot"],
        superseded_by=row["superseded_by"],
        revision=row["revision"],
        item_id=row["item_id"],
    )
