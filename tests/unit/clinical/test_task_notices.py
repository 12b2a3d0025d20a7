"""The task-notices consumer: the user a task is handed to gets a mail naming its id and
due time, and nothing of its content or its patient."""

from __future__ import annotations

from datetime import timedelta

from carehub.adapters.memory.mail import MemoryMailer
from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.clinical.handlers import SUBJECT, NotifyAssignee
from carehub.clinical.service.tasks import TaskChanges, TaskDraft, TaskService
from carehub.clinical.tasks import TaskStatus
from tests.support.clock import StillClock
from tests.support.memory_world import NOW
from tests.unit.clinical.conftest import DOCTOR, STAFF_PE


async def deliver(store: MemoryStore, clock: StillClock, mailer: MemoryMailer) -> None:
    """Run the consumer over every event committed so far."""
    notify = NotifyAssignee(mailer)
    for event in store.outbox:
        async with MemoryUnitOfWork(store, clock) as uow:
            await notify(event.to_message(), uow)


async def test_the_assignee_is_told_without_any_health_data(
    tasks: TaskService, store: MemoryStore, clock: StillClock
) -> None:
    due = NOW + timedelta(hours=3)
    task = await tasks.create(
        actor=STAFF_PE,
        patient_id="ana",
        draft=TaskDraft(
            title="Change dressing", details="Left leg ulcer", assignee_id=DOCTOR.id, due_at=due
        ),
    )
    mailer = MemoryMailer()
    await deliver(store, clock, mailer)
    [mail] = mailer.to("user-dr@clinic.test")
    assert mail.subject == SUBJECT and mail.purpose == "clinical.task_assigned"
    assert task.id in mail.text and due.isoformat() in mail.text
    for secret in ("Change dressing", "Left leg", "ana"):
        assert secret not in mail.text + mail.subject


async def test_only_a_new_assignee_of_an_open_task_is_told(
    tasks: TaskService, store: MemoryStore, clock: StillClock
) -> None:
    task = await tasks.create(actor=STAFF_PE, patient_id="ana", draft=TaskDraft(title="Call back"))
    handed = await tasks.change(
        actor=STAFF_PE,
        patient_id="ana",
        task_id=task.id,
        changes=TaskChanges(assignee_id=DOCTOR.id, given=frozenset({"assignee_id"})),
        if_version=1,
    )
    await tasks.change(
        actor=DOCTOR,
        patient_id="ana",
        task_id=task.id,
        changes=TaskChanges(status=TaskStatus.IN_PROGRESS),
        if_version=handed.version,
    )
    mailer = MemoryMailer()
    await deliver(store, clock, mailer)
    assert [m.to for m in mailer.sent] == ["user-dr@clinic.test"]

    await tasks.change(
        actor=DOCTOR,
        patient_id="ana",
        task_id=task.id,
        changes=TaskChanges(assignee_id=STAFF_PE.id, given=frozenset({"assignee_id"})),
        if_version=3,
    )
    await tasks.change(
        actor=STAFF_PE,
        patient_id="ana",
        task_id=task.id,
        changes=TaskChanges(status=TaskStatus.DONE),
        if_version=4,
    )
    later = MemoryMailer()
    await deliver(store, clock, later)
    assert later.sent == []  # done since: nobody needs telling any more
