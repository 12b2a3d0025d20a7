"""The cap of three preop images, decided by the store: each current, attached preop image
holds one of the patient's three slots, and the store keeps slots unique per patient."""

from __future__ import annotations

from dataclasses import replace

from carehub.documents.model import PREOP_IMAGE_LIMIT, PatientFile
from carehub.documents.ports import DocumentsUnitOfWork, PreopSlotTaken
from carehub.documents.revisions import save
from carehub.kernel.errors import Conflict

SLOTS = tuple(range(1, PREOP_IMAGE_LIMIT + 1))
# Each attempt re-reads the slots after losing a race for one; a handful always suffices
# unless images of one patient are being replaced many times a second.
ATTEMPTS = 8


async def take_preop_slot(
    uow: DocumentsUnitOfWork, ready: PatientFile
) -> tuple[PatientFile, list[PatientFile]] | None:
    """Store `ready` holding a preop slot, and return it with the files it displaced.

    A new version takes its predecessor's slot; otherwise a free slot; otherwise, when the
    upload asked for `replaceOldest`, the slot of the oldest preop image, which is detached
    in the same transaction. None when every slot is held and replacing was not asked.
    """
    for _ in range(ATTEMPTS):
        holders = await uow.files.preop_holders(ready.patient_id)
        predecessor = next((h for h in holders if h.id == ready.replaces), None)
        if predecessor is not None:
            retired = await save(uow, replace(predecessor, preop_slot=None, superseded_by=ready.id))
            if retired is not None and (held := await _hold(uow, ready, predecessor)):
                return held, []
            continue
        free = [slot for slot in SLOTS if slot not in {h.preop_slot for h in holders}]
        for slot in free:
            held = await _hold_slot(uow, ready, slot)
            if held is not None:
                return held, []
        if free:
            continue  # others took them first: look again
        if not ready.replace_oldest:
            return None
        oldest = holders[0]
        detached = await save(uow, replace(oldest, attached=False, preop_slot=None))
        if detached is not None and (held := await _hold(uow, ready, oldest)):
            return held, [detached]
    raise Conflict("The patient's preop images changed too often at once; try again")


async def _hold(
    uow: DocumentsUnitOfWork, ready: PatientFile, previous: PatientFile
) -> PatientFile | None:
    if previous.preop_slot is None:
        return None
    return await _hold_slot(uow, ready, previous.preop_slot)


async def _hold_slot(uow: DocumentsUnitOfWork, ready: PatientFile, slot: int) -> PatientFile | None:
    try:
        held = await save(uow, replace(ready, preop_slot=slot))
    except PreopSlotTaken:
        return None
    if held is None:
        raise FileChanged()
    return held


class FileChanged(Exception):
    """The file being completed was changed by another completion at the same time."""
