"""Errors of the clinical record."""

from __future__ import annotations

from carehub.kernel.errors import (
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionFailed,
)


class PatientNotFound(NotFound):
    """No such patient (or the actor may not see them: the same answer)."""

    def __init__(self, patient_id: str) -> None:
        super().__init__(f"Patient {patient_id} does not exist")


class PatientInactive(Conflict):
    def __init__(self, patient_id: str) -> None:
        super().__init__(f"Patient {patient_id} is inactive: their record takes no new items")


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


class ChangedMeanwhile(PreconditionFailed):
    """The item is no longer the version the writer read: If-Match named an older one, or
    another writer stored a change between this one's read and its write (412, as a stale
    If-Match: the client reads it again)."""

    def __init__(self) -> None:
        super().__init__("The item was changed by someone else; read it again and retry")


class PrescribersOnly(Forbidden):
    """Medications are started, stopped and completed by doctors (and admins)."""

    def __init__(self) -> None:
        super().__init__("Only doctors and admins start, stop or complete medications")


class PrescriberRequired(Invalid):
    def __init__(self) -> None:
        super().__init__(
            "Name the prescriber: only a doctor's own medications default to them",
            errors=[FieldError("prescriberId", "is required unless a doctor starts it")],
        )


class AdminsOnly(Forbidden):
    def __init__(self, what: str) -> None:
        super().__init__(f"Only admins {what}")


class UnknownTemplate(Invalid):
    """A checklist is started from a template that does not exist."""

    def __init__(self) -> None:
        super().__init__(
            "No checklist template has this id",
            errors=[FieldError("templateId", "is not a checklist template")],
        )


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
