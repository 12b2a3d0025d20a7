"""Who may touch a patient's files, and the audit records every attempt leaves.

Anyone who may see the patient (`carehub.kernel.patient_access`) may upload, list,
download, detach and delete their files. Only doctors stamp lab and radiology documents,
and only admins remove a stamp. Out-of-scope patients look exactly like missing ones.
"""

from __future__ import annotations

from carehub.documents.ports import DocumentsUnitOfWork
from carehub.kernel.access_gate import AccessGate
from carehub.kernel.actor import Actor, Role
from carehub.kernel.clock import Clock
from carehub.kernel.errors import Conflict, Forbidden, NotFound
from carehub.kernel.patient_directory import PatientContact


class PatientNotVisible(NotFound):
    def __init__(self, patient_id: str) -> None:
        super().__init__(f"Patient {patient_id} does not exist")


class Gate(AccessGate):
    """The kernel's access gate for files: the patient is looked up in the directory."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, "file")

    async def visible(
        self, uow: DocumentsUnitOfWork, actor: Actor, patient_id: str, action: str
    ) -> PatientContact:
        """The patient if the actor may see them; otherwise the refusal is audited and
        committed, and the patient reported missing whether they exist or not."""
        return await self.patient(
            uow, uow.patient_directory, actor, action, patient_id, PatientNotVisible
        )


def check_active(patient: PatientContact) -> None:
    if not patient.active:
        raise Conflict(f"Patient {patient.patient_id} is inactive: their record takes no new files")


def check_can_stamp(actor: Actor) -> None:
    if actor.role is not Role.DOCTOR:
        raise Forbidden("Only doctors stamp documents as verified")


def check_can_remove_stamp(actor: Actor) -> None:
    if not actor.unrestricted:
        raise Forbidden("Only admins remove verification stamps")
