"""Tasks use cases: give a patient's task to a user who may see the patient, move it
along (open -> in progress -> done or cancelled), and list a user's tasks across patients."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from carehub.clinical import access
from carehub.clinical.errors import NotAssignable, TaskNotFound
from carehub.clinical.events import TaskChanged, TaskCreated
from carehub.clinical.model import ItemKind
from carehub.clinical.ports import ClinicalUnitOfWork
from carehub.clinical.service.record import Change, Concept, ItemRecord
from carehub.clinical.tasks import CLOSED, Priority, Task, TaskStatus
from carehub.kernel.access_gate import outcome_of
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.errors import CarehubError
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.ids import new_id
from carehub.kernel.pagination import Page, check_limit

TASKS = Concept(ItemKind.TASK, "task", lambda uow: uow.tasks, TaskNotFound)
OPEN = frozenset(TaskStatus) - CLOSED
ME = "me"


@dataclass(frozen=True)
class TaskDraft:
    title: str
    details: str = ""
    assignee_id: str | None = None
    due_at: datetime | None = None
    priority: Priority = Priority.ROUTINE


@dataclass(frozen=True)
class TaskChanges:
    """A change of status, assignee or due time; `assignee_id` and `due_at` count only
    when named in `given` (so None clears them)."""

    status: TaskStatus | None = None
    assignee_id: str | None = None
    due_at: datetime | None = None
    given: frozenset[str] = field(default_factory=frozenset)

    def fields(self) -> dict[str, Any]:
        named = {"assignee_id": self.assignee_id, "due_at": self.due_at}
        return {name: value for name, value in named.items() if name in self.given}


class TaskService(ItemRecord[Task]):
    """Creating, changing and listing medical tasks."""

    def __init__(self, uow_factory: Callable[[], ClinicalUnitOfWork], clock: Clock) -> None:
        super().__init__(uow_factory, clock, TASKS)

    async def create(
        self,
        *,
        actor: Actor,
        patient_id: str,
        draft: TaskDraft,
        idempotency: IdempotencyClaim | None = None,
    ) -> Task:
        """Add a task to the patient's record, given to someone or to nobody yet."""

        async def build(uow: ClinicalUnitOfWork, now: datetime) -> Task:
            if draft.assignee_id is not None:
                await self._check_assignee(uow, draft.assignee_id, patient_id)
            return Task(
                id=new_id(),
                patient_id=patient_id,
                title=draft.title,
                created_by=actor.id,
                created_at=now,
                details=draft.details,
                assignee_id=draft.assignee_id,
                due_at=draft.due_at,
                priority=draft.priority,
            )

        return await self._create(
            actor=actor,
            patient_id=patient_id,
            build=build,
            events=lambda _, task, now: [TaskCreated.of_task(task, None, actor, now)],
            idempotency=idempotency,
        )

    async def change(
        self,
        *,
        actor: Actor,
        patient_id: str,
        task_id: str,
        changes: TaskChanges,
        if_version: int,
    ) -> Task:
        """Change the task's status, assignee or due time; a closed task stays closed."""

        async def changed(uow: ClinicalUnitOfWork, task: Task, now: datetime) -> Task:
            fields = changes.fields()
            assignee = fields.get("assignee_id")
            if assignee is not None and assignee != task.assignee_id:
                await self._check_assignee(uow, assignee, patient_id)
            return task.changed(now, status=changes.status, **fields)

        def events(before: Task | None, after: Task, now: datetime) -> list[TaskChanged]:
            return [TaskChanged.of_task(after, before, actor, now)]

        change = Change("update", "changed", changed, events)
        return await self._change(
            change, actor=actor, patient_id=patient_id, item_id=task_id, if_version=if_version
        )

    async def assigned(
        self,
        *,
        actor: Actor,
        assignee: str = ME,
        statuses: Collection[TaskStatus] = (),
        due_before: datetime | None = None,
        overdue: bool = False,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Task]:
        """A user's tasks (`me`: the actor's), soonest due first; `overdue`: only open ones
        due before now. Tasks of patients the actor may no longer see are left out."""
        check_limit(limit)
        assignee_id = actor.id if assignee == ME else assignee
        action = "task.list"
        async with self._uow() as uow:
            try:
                access.check_can_list_tasks_of(actor, assignee_id)
            except CarehubError as exc:
                await self._gate.refuse(uow, actor, action, None, outcome_of(exc))
                raise
            wanted = set(statuses)
            if overdue:
                now = self._clock.now()
                wanted = set(OPEN) if not wanted else wanted & OPEN
                due_before = now if due_before is None else min(due_before, now)
            page: Page[Task] = Page([], None)
            if wanted or not overdue:
                page = await uow.tasks.assigned_to(
                    assignee_id,
                    statuses=wanted,
                    due_before=due_before,
                    cursor=cursor,
                    limit=limit,
                )
            seen = await self._visible(uow, actor, {t.patient_id for t in page.items})
            shown = [t for t in page.items if t.patient_id in seen]
            patients = tuple(dict.fromkeys(t.patient_id for t in shown))
            uow.audit(self._gate.listed(actor, action, patients))
            await uow.commit()
        return Page(shown, page.next_cursor)

    async def _check_assignee(self, uow: ClinicalUnitOfWork, user_id: str, patient_id: str) -> None:
        """NotAssignable unless the user is an active carer who may see the patient."""
        assignee = access.assignee_actor(await uow.user_directory.assignee(user_id))
        if not await self._visible(uow, assignee, {patient_id}):
            raise NotAssignable()

    async def _visible(
        self, uow: ClinicalUnitOfWork, actor: Actor, patient_ids: set[str]
    ) -> set[str]:
        """Which of these patients the actor may see."""
        if actor.unrestricted:
            return patient_ids
        seen = set()
        for patient_id in sorted(patient_ids):
            patient = await uow.patient_directory.contact(patient_id)
            if patient is not None and await self._gate.sees_patient(
                actor, uow.patient_directory, patient_id=patient_id, country_id=patient.country_id
            ):
                seen.add(patient_id)
        return seen
