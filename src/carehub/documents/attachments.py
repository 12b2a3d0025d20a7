"""Files attached to an item of the clinical record: a file of kind note, med or task
names the item it hangs off (its `item_id`), read through the `AttachableItems` port."""

from __future__ import annotations

from carehub.documents.errors import ItemNotAttachable
from carehub.documents.model import Kind
from carehub.documents.ports import DocumentsUnitOfWork


async def check_item(
    uow: DocumentsUnitOfWork, patient_id: str, kind: Kind, item_id: str | None
) -> None:
    """A note, med or task file names an item of its kind of this patient; a doc names
    none. Another patient's item is answered exactly as a missing one, so an upload never
    tells whether an id exists elsewhere."""
    if not kind.takes_item:
        if item_id is not None:
            raise ItemNotAttachable(f"a file of kind {kind.value} attaches to no item")
        return
    if item_id is None:
        raise ItemNotAttachable(f"required for a file of kind {kind.value}")
    if await uow.attachable_items.patient_of(kind.value, item_id) != patient_id:
        raise ItemNotAttachable(f"names no {kind.value} of this patient")
