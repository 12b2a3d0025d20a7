"""Who may see and change what in the clinical record (deny by default).

Seeing an item is seeing its patient (`carehub.kernel.patient_access`, through the gate):
doctors with the patient in their care, staff of the patient's country, admins, and the
patient themselves, read-only. Among those who see it:

- notes, tasks and checklists are written by doctors, staff and admins;
- medications are started, stopped and completed by doctors and admins only;
- a note is amended, or marked entered in error, only by its author or an admin;
- a task goes only to an active doctor, staff or admin account that may see the patient;
- checklist templates are defined by admins; tasks are listed by assignee for oneself
  (admins: for anyone).
"""

from __future__ import annotations

from carehub.clinical.errors import (
    AdminsOnly,
    NotAssignable,
    NotTheAuthor,
    PrescribersOnly,
    ReadOnlyRecord,
)
from carehub.clinical.model import ItemKind
from carehub.clinical.notes import Note
from carehub.clinical.ports import Assignee
from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Forbidden

# The roles that work on a patient's record (and may be given tasks).
CARERS = frozenset({Role.DOCTOR, Role.STAFF, Role.ADMIN})


def check_can_write(actor: Actor, kind: ItemKind) -> None:
    """Called once the patient is known to be visible to the actor."""
    if actor.role is Role.PATIENT:
        raise ReadOnlyRecord()
    if actor.unrestricted:
        return
    if kind is ItemKind.MEDICATION and actor.role is not Role.DOCTOR:
        raise PrescribersOnly()
    if actor.role not in CARERS:
        raise Forbidden("Your role cannot change clinical records")


def check_author(actor: Actor, note: Note) -> None:
    if not (actor.unrestricted or note.author_id == actor.id):
        raise NotTheAuthor()


def check_can_define_templates(actor: Actor) -> None:
    if not actor.unrestricted:
        raise AdminsOnly("define checklist templates")


def check_can_list_tasks_of(actor: Actor, assignee_id: str) -> None:
    """Anyone but patients lists their own tasks; admins anyone's."""
    if actor.role is Role.PATIENT:
        raise Forbidden("Patients have no tasks")
    if assignee_id != actor.id and not actor.unrestricted:
        raise AdminsOnly("list the tasks of another user")


def assignee_actor(assignee: Assignee | None) -> Actor:
    """The assignee as the actor who will work on the task (NotAssignable unless an
    active doctor, staff or admin account)."""
    if assignee is None or not assignee.active or assignee.role not in CARERS:
        raise NotAssignable()
    return Actor(
        id=assignee.user_id,
        role=Role(assignee.role),
        country_id=assignee.country_id,
        practitioner_id=assignee.practitioner_id,
    )
