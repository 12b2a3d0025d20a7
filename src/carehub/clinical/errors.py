"""Errors of the clinical record."""

from __future__ import annotations

from carehub.kernel.errors import Conflict, FieldError, Forbidden, Invalid, NotFound


class ItemNotFound(NotFound):
    """No such item of the patient's record (or the actor may not see it: the same answer)."""

    def __init__(self, what: str, item_id: str) -> None:
        super().__init__(f"{what} {item_id} does not exist")


class NoteNotFound(ItemNotFound):
    def __init__(self, note_id: str) -> None:
        super().__init__("Note", note_id)


class MedicationNotFound(ItemNotFound):
    def __init__(self, medication_id: str) -> None:
        super().__init__("Medication", medication_id)


class TaskNotFound(ItemNotFound):
    def __init__(self, task_id: str) -> None:
        super().__init__("Task", task_id)


class ChecklistNotFound(ItemNotFound):
    def __init__(self, checklist_id: str) -> None:
        super().__init__("Checklist", checklist_id)


class TemplateNotFound(NotFound):
    def __init__(self, template_id: str) -> None:
        super().__init__(f"Checklist template {template_id} does not exist")


class ChecklistItemNotFound(NotFound):
    def __init__(self, item_id: str) -> None:
        super().__init__(f"The checklist has no item {item_id}")


class NotTheAuthor(Forbidden):
    """Only a note's author, or an admin, changes it."""

    def __init__(self) -> None:
        super().__init__("Only the note's author or an admin may change it")


class ReadOnlyRecord(Forbidden):
    """Patients read their record; they do not write it."""

    def __init__(self) -> None:
        super().__init__("Patients may read their clinical record but not change it")


class TransitionRefused(Conflict):
    """The item's status does not allow the change (a stopped medication stopped again, a
    closed task reopened, an entered-in-error note amended, a completed checklist ticked)."""

    def __init__(self, what: str, status: str, change: str) -> None:
        super().__init__(f"A {what} that is {status} cannot be {change}")
        self.status = status


class ChangedMeanwhile(Conflict):
    """Another writer changed the item between this one's read and its write."""

    def __init__(self) -> None:
        super().__init__("The item was changed at the same time; read it again and retry")


class TemplateTaken(Conflict):
    def __init__(self, template_id: str) -> None:
        super().__init__(f"A checklist template with id {template_id} exists")


class NotAssignable(Invalid):
    """A task's assignee must be an active account of a doctor, staff member or admin."""

    def __init__(self) -> None:
        super().__init__(
            "The assignee is not an active doctor, staff or admin account",
            errors=[FieldError("assigneeId", "is not an active doctor, staff or admin account")],
        )
