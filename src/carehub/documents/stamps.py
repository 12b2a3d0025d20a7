"""Verification stamps: a doctor signs off a lab or radiology document; a stamp is never
edited, and only an admin removes one, with a reason that stays on record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from carehub.documents.access import Gate, check_can_remove_stamp, check_can_stamp
from carehub.documents.errors import FileNotFound, StampNotFound
from carehub.documents.events import DocumentStamped, StampRemoved
from carehub.documents.model import STAMPABLE, FileStatus, PatientFile, Stamp
from carehub.documents.ports import DocumentsUnitOfWork
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.errors import Conflict, FieldError, Invalid
from carehub.kernel.ids import new_id

MAX_NOTE = 2000
REASON_LENGTH = (3, 500)


class StampService:
    def __init__(self, uow_factory: Callable[[], DocumentsUnitOfWork], clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._gate = Gate(clock)

    async def stamp(
        self, *, actor: Actor, patient_id: str, file_id: str, note: str | None = None
    ) -> Stamp:
        """Stamp a lab or radiology document as verified (a doctor caring for the patient)."""
        action = "document.stamp"
        async with self._uow() as uow:
            await self._gate.visible(uow, actor, patient_id, action)
            async with self._gate.checking(
                uow, actor, action, patient_id=patient_id, resource_id=file_id
            ):
                check_can_stamp(actor)
                file = await _stampable(uow, patient_id, file_id)
                if note is not None and len(note) > MAX_NOTE:
                    raise Invalid(
                        "The note is too long",
                        errors=[FieldError("note", f"at most {MAX_NOTE} characters")],
                    )
                stamp = Stamp(
                    id=new_id(),
                    file_id=file.id,
                    stamped_by=actor.id,
                    stamped_at=self._clock.now(),
                    note=note,
                )
                await uow.stamps.add(stamp)
            uow.record(DocumentStamped.of(stamp, file, actor))
            uow.audit(self._gate.record(actor, action, patient_id, file.id))
            await uow.commit()
        return stamp

    async def remove(self, *, actor: Actor, patient_id: str, file_id: str, reason: str) -> Stamp:
        """Remove a document's stamp (admins only, with a reason; audited)."""
        action = "document.stamp_remove"
        async with self._uow() as uow:
            await self._gate.visible(uow, actor, patient_id, action)
            async with self._gate.checking(
                uow, actor, action, patient_id=patient_id, resource_id=file_id
            ):
                check_can_remove_stamp(actor)
                low, high = REASON_LENGTH
                if not low <= len(reason.strip()) <= high:
                    raise Invalid(
                        "A reason is required",
                        errors=[FieldError("reason", f"{low} to {high} characters")],
                    )
                file = await _stampable(uow, patient_id, file_id)
                active = await uow.stamps.active(file.id)
                if active is None:
                    raise StampNotFound()
                removed = replace(
                    active,
                    removed_by=actor.id,
                    removed_at=self._clock.now(),
                    removal_reason=reason.strip(),
                )
                if not await uow.stamps.remove(removed):
                    raise Conflict("The stamp was removed at the same time")
            uow.record(StampRemoved.of(removed, file, actor))
            uow.audit(self._gate.record(actor, action, patient_id, file.id))
            await uow.commit()
        return removed


async def _stampable(uow: DocumentsUnitOfWork, patient_id: str, file_id: str) -> PatientFile:
    file = await uow.files.get(file_id)
    if file is None or file.patient_id != patient_id or file.status is not FileStatus.READY:
        raise FileNotFound(file_id)
    if file.category not in STAMPABLE:
        raise Invalid(
            "Only lab and radiology documents are stamped",
            errors=[FieldError("fileId", f"a {file.category.value} document")],
        )
    return file
