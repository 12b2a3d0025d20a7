"""What the clinical record's store tests share (contract suites, query plans): one item of
each kind with every field set, their revisions, templates, and committed units to store
them in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from carehub.clinical.checklists import (
    Checklist,
    ChecklistTemplate,
    Section,
    TemplateItem,
)
from carehub.clinical.medications import CodeSystem, Medication, MedicationCode, Route
from carehub.clinical.model import RecordItem, Revision
from carehub.clinical.notes import Note, NoteContent, Soap
from carehub.clinical.ports import AttachableItems, ClinicalUnitOfWork, ItemRepository
from carehub.clinical.tasks import Priority, Task
from carehub.identity.ports import UserRepository

T = TypeVar("T", bound=RecordItem)

# Microseconds on purpose: every store keeps them.
NOW = datetime(2031, 3, 10, 8, 0, 0, 123456, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


class ClinicalUnit(ClinicalUnitOfWork, Protocol):
    """What the suites open: the record's ports, the documents' view of them, and the
    accounts the user directory reads."""

    @property
    def attachable_items(self) -> AttachableItems: ...

    @property
    def users(self) -> UserRepository: ...


NewClinicalUnit = Callable[[], ClinicalUnit]


def item_id(n: int) -> str:
    """Ids in the order of `n` (generated ids are time-ordered UUIDv7s)."""
    return f"01890000-0000-7000-8000-{n:012d}"


def a_note(n: int, *, patient: str = "p-1", soap: bool = False, **fields: Any) -> Note:
    content = (
        NoteContent(soap=Soap("Cough for 3 days", "T 38.1 °C", "Bronchitis", "Rest, fluids"))
        if soap
        else NoteContent(text=f"Seen in clinic, note {n}. Ñandú, 東京 ✓")
    )
    base: dict[str, Any] = {
        "id": item_id(n),
        "patient_id": patient,
        "author_id": "dr-1",
        "content": content,
        "created_at": NOW + n * MINUTE,
        "appointment_id": "appt-1" if soap else None,
    }
    return Note(**(base | fields))


def a_medication(n: int, *, patient: str = "p-1", **fields: Any) -> Medication:
    base: dict[str, Any] = {
        "id": item_id(n),
        "patient_id": patient,
        "name": "Amoxicillin 500 mg capsules",
        "prescriber_id": "dr-1",
        "start": date(2031, 3, 10),
        "created_at": NOW + n * MINUTE,
        "code": MedicationCode(CodeSystem.RXNORM, "308182"),
        "dose": Decimal("1.50"),
        "dose_unit": "capsule",
        "route": Route.ORAL,
        "frequency": "every 8 hours",
        "end": date(2031, 3, 17),
    }
    return Medication(**(base | fields))


def a_task(n: int, *, patient: str = "p-1", **fields: Any) -> Task:
    base: dict[str, Any] = {
        "id": item_id(n),
        "patient_id": patient,
        "title": f"Call back with lab results {n}",
        "created_by": "dr-1",
        "created_at": NOW + n * MINUTE,
        "details": "Potassium was borderline; repeat in a week.",
        "assignee_id": "nurse-1",
        "due_at": NOW + 2 * HOUR,
        "priority": Priority.URGENT,
    }
    return Task(**(base | fields))


def a_template(key: str = "pre-op", **fields: Any) -> ChecklistTemplate:
    base: dict[str, Any] = {
        "id": f"tpl-{key}",
        "name": f"Checklist {key}",
        "sections": (
            Section(
                "arrival",
                "On arrival",
                (
                    TemplateItem("arrival.fasting", "Fasting since midnight"),
                    TemplateItem("arrival.consent", "Consent signed"),
                ),
            ),
            Section(
                "leaving", "Before leaving", (TemplateItem("leaving.escort", "Escort", False),)
            ),
        ),
        "created_at": NOW,
        "created_by": "admin-1",
    }
    return ChecklistTemplate(**(base | fields))


def a_checklist(n: int, *, patient: str = "p-1", checked: int = 1) -> Checklist:
    """A checklist of `a_template()` with its first `checked` required items checked."""
    started = Checklist.started(
        a_template(), checklist_id=item_id(n), patient_id=patient, by="dr-1", at=NOW
    )
    for index, item in enumerate(("arrival.fasting", "arrival.consent")[:checked]):
        started = started.checked(item, by="nurse-1", at=NOW + (index + 1) * MINUTE)
    return started


def written(item: T, *, by: str = "dr-1", action: str = "written") -> Revision[T]:
    """The revision that created `item` (or any later one, with `action`)."""
    return Revision(at=item.created_at, actor_id=by, action=action, item=item)


def changed(item: T, *, by: str, action: str, reason: str | None = None) -> Revision[T]:
    at = getattr(item, "updated_at", None) or item.created_at
    return Revision(at=at, actor_id=by, action=action, item=item, reason=reason)


async def add_all(new_uow: NewClinicalUnit, repository: str, *items: RecordItem) -> None:
    """Adds the items (version 1) to `uow.<repository>` in one committed unit."""
    async with new_uow() as uow:
        store: ItemRepository[Any] = getattr(uow, repository)
        for item in items:
            await store.add(written(item))
        await uow.commit()
