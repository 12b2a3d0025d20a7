"""TaskService over the memory adapters: tasks go to active carers who may see the
patient, move open -> in progress -> done or cancelled, keep every change, and are listed
per assignee with every patient they touch audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.clinical.errors import (
    ChangedMeanwhile,
    NotAssignable,
    ReadOnlyRecord,
    TransitionRefused,
)
from carehub.clinical.service.tasks import TaskChanges, TaskDraft, TaskService
from carehub.clinical.tasks import Priority, TaskStatus
from carehub.identity.model import UserStatus
from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Forbidden
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN, ANA, NOW, audited, last_audit
from tests.unit.clinical.conftest import DOCTOR, OTHER_DOCTOR, STAFF_CO, STAFF_PE, account


def change(**fields: object) -> TaskChanges:
    return TaskChanges(**fields, given=frozenset(fields) - {"status"})  # type: ignore[arg-type]


async def create(
    tasks: TaskService,
    patient_id: str = "ana",
    *,
    due_in: timedelta | None = None,
    **fields: object,
) -> str:
    due = None if due_in is None else NOW + due_in
    task = await tasks.create(
        actor=STAFF_PE if patient_id != "cruz" else STAFF_CO,
        patient_id=patient_id,
        draft=TaskDraft(title="Check wound", due_at=due, **fields),  # type: ignore[arg-type]
    )
    return task.id


async def test_a_task_moves_along_and_keeps_each_change(
    tasks: TaskService, clock: StillClock, store: MemoryStore
) -> None:
    task_id = await create(tasks, assignee_id=DOCTOR.id, priority=Priority.URGENT)
    clock.advance(timedelta(minutes=1))
    started = await tasks.change(
        actor=DOCTOR,
        patient_id="ana",
        task_id=task_id,
        changes=change(status=TaskStatus.IN_PROGRESS),
        if_version=1,
    )
    handed = await tasks.change(
        actor=DOCTOR,
        patient_id="ana",
        task_id=task_id,
        changes=change(assignee_id=STAFF_PE.id, due_at=NOW + timedelta(hours=4)),
        if_version=2,
    )
    done = await tasks.change(
        actor=STAFF_PE,
        patient_id="ana",
        task_id=task_id,
        changes=change(status=TaskStatus.DONE),
        if_version=3,
    )
    assert (started.status, handed.assignee_id, done.status, done.version) == (
        TaskStatus.IN_PROGRESS,
        STAFF_PE.id,
        TaskStatus.DONE,
        4,
    )
    history = await tasks.history(actor=ANA, patient_id="ana", item_id=task_id)
    assert [(r.actor_id, r.action, r.item.status, r.item.assignee_id) for r in history] == [
        ("staff-pe", "written", TaskStatus.OPEN, DOCTOR.id),
        ("user-dr", "changed", TaskStatus.IN_PROGRESS, DOCTOR.id),
        ("user-dr", "changed", TaskStatus.IN_PROGRESS, STAFF_PE.id),
        ("staff-pe", "changed", TaskStatus.DONE, STAFF_PE.id),
    ]
    payloads = [e.payload() for e in store.outbox]
    assert [(p["status"], p["assignedTo"]) for p in payloads] == [  # type: ignore[index]
        ("open", DOCTOR.id),
        ("in_progress", None),
        ("in_progress", STAFF_PE.id),
        ("done", None),
    ]
    with pytest.raises(TransitionRefused):
        await tasks.change(
            actor=ADMIN,
            patient_id="ana",
            task_id=task_id,
            changes=change(status=TaskStatus.OPEN),
            if_version=4,
        )
    assert last_audit(store) == ("admin-1", "task.update", "failed", ("ana",))


async def test_a_change_that_changes_nothing_stores_nothing(
    tasks: TaskService, store: MemoryStore
) -> None:
    task_id = await create(tasks)
    same = await tasks.change(
        actor=STAFF_PE,
        patient_id="ana",
        task_id=task_id,
        changes=change(status=TaskStatus.OPEN),
        if_version=1,
    )
    assert same.version == 1 and len(store.outbox) == 1
    with pytest.raises(ChangedMeanwhile):
        await tasks.change(
            actor=STAFF_PE,
            patient_id="ana",
            task_id=task_id,
            changes=change(status=TaskStatus.DONE),
            if_version=2,
        )


@pytest.mark.parametrize(
    "assignee",
    [
        "nobody",  # no such account
        "user-ana",  # a patient
        "user-dr2",  # a doctor without the patient in their care
        "staff-co",  # staff of another country
        "disabled",  # not active
    ],
)
async def test_a_task_goes_only_to_an_active_carer_who_may_see_the_patient(
    tasks: TaskService, store: MemoryStore, assignee: str
) -> None:
    account(store, ANA)
    account(
        store, Actor(id="disabled", role=Role.STAFF, country_id="PE"), status=UserStatus.DISABLED
    )
    with pytest.raises(NotAssignable):
        await create(tasks, assignee_id=assignee)
    assert last_audit(store) == ("staff-pe", "task.create", "failed", ("ana",))
    task_id = await create(tasks)
    with pytest.raises(NotAssignable):
        await tasks.change(
            actor=STAFF_PE,
            patient_id="ana",
            task_id=task_id,
            changes=change(assignee_id=assignee),
            if_version=1,
        )


async def test_patients_read_their_tasks_but_never_write_them(tasks: TaskService) -> None:
    task_id = await create(tasks)
    assert (await tasks.get(actor=ANA, patient_id="ana", item_id=task_id)).id == task_id
    with pytest.raises(ReadOnlyRecord):
        await tasks.create(actor=ANA, patient_id="ana", draft=TaskDraft(title="Mine"))
    with pytest.raises(ReadOnlyRecord):
        await tasks.change(
            actor=ANA,
            patient_id="ana",
            task_id=task_id,
            changes=change(status=TaskStatus.DONE),
            if_version=1,
        )


async def test_my_tasks_soonest_due_first_across_patients_audited_with_each_patient(
    tasks: TaskService, clock: StillClock, store: MemoryStore
) -> None:
    late = await create(tasks, "luis", assignee_id=STAFF_PE.id, due_in=timedelta(hours=-2))
    soon = await create(tasks, "ana", assignee_id=STAFF_PE.id, due_in=timedelta(hours=1))
    undated = await create(tasks, "ana", assignee_id=STAFF_PE.id)
    await create(tasks, "ana", assignee_id=DOCTOR.id, due_in=timedelta(hours=-5))
    closed = await create(tasks, "ana", assignee_id=STAFF_PE.id, due_in=timedelta(hours=-9))
    await tasks.change(
        actor=STAFF_PE,
        patient_id="ana",
        task_id=closed,
        changes=change(status=TaskStatus.CANCELLED),
        if_version=1,
    )

    mine = await tasks.assigned(actor=STAFF_PE)
    assert [t.id for t in mine.items] == [closed, late, soon, undated]
    assert last_audit(store) == ("staff-pe", "task.list", "allowed", ("ana", "luis"))
    overdue = await tasks.assigned(actor=STAFF_PE, overdue=True)
    assert [t.id for t in overdue.items] == [late]
    assert last_audit(store) == ("staff-pe", "task.list", "allowed", ("luis",))
    open_ones = await tasks.assigned(
        actor=STAFF_PE, statuses=[TaskStatus.OPEN], due_before=NOW + timedelta(hours=2)
    )
    assert [t.id for t in open_ones.items] == [late, soon]
    assert (
        await tasks.assigned(actor=STAFF_PE, statuses=[TaskStatus.DONE], overdue=True)
    ).items == []
    clock.advance(timedelta(hours=3))
    assert [t.id for t in (await tasks.assigned(actor=STAFF_PE, overdue=True)).items] == [
        late,
        soon,
    ]


async def test_only_admins_list_the_tasks_of_another_user_and_patients_have_none(
    tasks: TaskService, store: MemoryStore
) -> None:
    task_id = await create(tasks, assignee_id=DOCTOR.id)
    assert [t.id for t in (await tasks.assigned(actor=ADMIN, assignee=DOCTOR.id)).items] == [
        task_id
    ]
    for actor, assignee in ((STAFF_PE, DOCTOR.id), (ANA, "me")):
        with pytest.raises(Forbidden):
            await tasks.assigned(actor=actor, assignee=assignee)
        assert last_audit(store) == (actor.id, "task.list", "denied", ())


async def test_tasks_of_patients_the_assignee_no_longer_sees_are_left_out(
    tasks: TaskService, store: MemoryStore
) -> None:
    await create(tasks, assignee_id=DOCTOR.id)
    store.care.discard(("dr-1", "ana"))
    assert (await tasks.assigned(actor=DOCTOR)).items == []
    assert audited(store)[-1] == ("user-dr", "task.list", "allowed", ())
    assert (await tasks.assigned(actor=OTHER_DOCTOR)).items == []
