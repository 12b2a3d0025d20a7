"""Which class holds each kind of item (the stores keep every kind side by side)."""

from __future__ import annotations

from carehub.clinical.checklists import Checklist
from carehub.clinical.medications import Medication
from carehub.clinical.model import ItemKind, RecordItem
from carehub.clinical.notes import Note
from carehub.clinical.tasks import Task

ITEM_TYPES: dict[ItemKind, type[RecordItem]] = {
    ItemKind.NOTE: Note,
    ItemKind.MEDICATION: Medication,
    ItemKind.TASK: Task,
    ItemKind.CHECKLIST: Checklist,
}
_KINDS: dict[type[RecordItem], ItemKind] = {cls: kind for kind, cls in ITEM_TYPES.items()}

# The kinds a file may be attached to (its `kind` in the upload flow).
ATTACHABLE = frozenset({ItemKind.NOTE, ItemKind.MEDICATION, ItemKind.TASK})


def kind_of(item: RecordItem) -> ItemKind:
    return _KINDS[type(item)]
