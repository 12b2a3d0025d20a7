"""What the clinical record needs from storage and from the rest of carehub."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from carehub.clinical.checklists import Checklist, ChecklistTemplate
from carehub.clinical.medications import Medication
from carehub.clinical.model import RecordItem, Revision
from carehub.clinical.notes import Note
from carehub.clinical.tasks import Task, TaskStatus
from carehub.kernel.pagination import Page
from carehub.kernel.patient_directory import PatientDirectory
from carehub.kernel.unit_of_work import UnitOfWork

T = TypeVar("T", bound=RecordItem)


class ItemTaken(Exception):
    """An item with that id exists already (ids are fresh: a second add is a bug or a
    replayed request)."""


class ItemRepository(Protocol[T]):
    """One kind of item of the record, and every revision of each, inside a unit of work.

    `add` and `replace` store the item and its revision together; a revision is never
    changed or removed once stored.
    """

    async def add(self, revision: Revision[T]) -> None:
        """Store a new item (`revision.item`, version 1) and its first revision; ItemTaken
        when the id exists."""
        ...

    async def get(self, item_id: str) -> T | None: ...

    async def replace(self, revision: Revision[T]) -> bool:
        """Store `revision.item` (version n) and the revision if the stored item still has
        version n - 1; False when another writer got there first (nothing is stored)."""
        ...

    async def history(self, item_id: str) -> list[Revision[T]]:
        """Every revision of the item, oldest first (empty for an unknown id)."""
        ...

    async def for_patient(
        self,
        patient_id: str,
        *,
        statuses: Collection[str] | None,
        cursor: str | None,
        limit: int,
    ) -> Page[T]:
        """The patient's items of this kind, newest first (by id: ids are time-ordered);
        only those whose status is in `statuses` unless it is None."""
        ...


class TaskRepository(ItemRepository[Task], Protocol):
    async def assigned_to(
        self,
        assignee_id: str,
        *,
        statuses: Collection[TaskStatus],
        due_before: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Page[Task]:
        """The user's tasks in `statuses` (every status when empty), soonest due first,
        tasks without a due time last, then by id; with `due_before`, only tasks due
        strictly before it."""
        ...


class TemplateRepository(Protocol):
    """Checklist templates that admins defined (the shipped ones are code: templates.py)."""

    async def add(self, template: ChecklistTemplate) -> None:
        """Store a new template; ItemTaken when its id exists."""
        ...

    async def get(self, template_id: str) -> ChecklistTemplate | None: ...

    async def list_all(self) -> list[ChecklistTemplate]:
        """Every stored template, by id."""
        ...


@dataclass(frozen=True)
class Assignee:
    """What the record reads of a user a task is given to."""

    user_id: str
    role: str
    active: bool
    email: str | None
    # Where they work and which doctor they are: whether they may see the task's patient.
    country_id: str | None = None
    practitioner_id: str | None = None


class UserDirectory(Protocol):
    """The identity domain as the record reads it: who a task may be given to, and where
    to tell them."""

    async def assignee(self, user_id: str) -> Assignee | None: ...


class AttachableItems(Protocol):
    """Which item a file may attach to (read by the documents domain's uploads)."""

    async def patient_of(self, kind: str, item_id: str) -> str | None:
        """The patient whose item of `kind` (note, med, task) has that id; None when none."""
        ...


class ClinicalUnitOfWork(UnitOfWork, Protocol):
    @property
    def notes(self) -> ItemRepository[Note]: ...

    @property
    def medications(self) -> ItemRepository[Medication]: ...

    @property
    def tasks(self) -> TaskRepository: ...

    @property
    def checklists(self) -> ItemRepository[Checklist]: ...

    @property
    def checklist_templates(self) -> TemplateRepository: ...

    @property
    def patient_directory(self) -> PatientDirectory: ...

    @property
    def user_directory(self) -> UserDirectory: ...
