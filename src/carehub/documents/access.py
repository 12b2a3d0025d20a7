"""Who may touch a patient's files, and the audit records every attempt leaves.

Anyone who may see the patient (`carehub.kernel.patient_access`) may upload, list,
download, detach and delete their files. Only doctors stamp lab and radiology documents,
and only admins remove a stamp. Out-of-scope patients look exactly like missing ones.
"""

from __future__ import annotations

from carehub.documents.ports import DocumentsUnitOfWork
from carehub.kernel.actor import Actor, Role
from carehub.kernel.audit import AccessRecord, Outcome
from carehub.kernel.clock import Clock
from carehub.kernel.errors import Conflict, Forbidden, NotFound
from carehub.kernel.patient_access import can_see_patient, needs_care_check
from carehub.kernel.patient_directory import PatientContact


class PatientNotVisible(NotFound):
    def __init__(self, patient_id: str) -> None:
        super().__init__(f"Patient {patient_id} does not exist")


class Gate:
    """Checks access to one patient's files and writes the audit records."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def visible(
        self, uow: DocumentsUnitOfWork, actor: Actor, patient_id: str, action: str
    ) -> PatientContact:
        """The patient if the actor may see them; otherwise the refusal is audited and
        committed, and the patient reported missing whether they exist or not."""
        patient = await uow.patient_directory.contact(patient_id)
        if patient is None:
            await self.refuse(uow, actor, action, patient_id, Outcome.NOT_FOUND)
            raise PatientNotVisible(patient_id)
        in_care = False
        if needs_care_check(actor) and actor.practitioner_id is not None:
            in_care = await uow.patient_directory.in_care_of(actor.practitioner_id, patient_id)
        if not can_see_patient(
            actor, patient_id=patient_id, country_id=patient.country_id, in_care=in_care
        ):
            await self.refuse(uow, actor, action, patient_id, Outcome.DENIED)
            raise PatientNotVisible(patient_id)
        return patient

    async def refuse(
        self,
        uow: DocumentsUnitOfWork,
        actor: Actor,
        action: str,
        patient_id: str,
        outcome: Outcome,
        resource_id: str | None = None,
    ) -> None:
        """Audit a refused attempt; it is committed although the use case fails."""
        known = outcome is not Outcome.NOT_FOUND  # never list a patient that does not exist
        uow.audit(self.record(actor, action, patient_id, resource_id, outcome, known=known))
        await uow.commit()

    def record(
        self,
        actor: Actor,
        action: str,
        patient_id: str,
        resource_id: str | None,
        outcome: Outcome = Outcome.ALLOWED,
        *,
        known: bool = True,
    ) -> AccessRecord:
        return AccessRecord(
            actor=actor,
            action=action,
            resource_type="file",
            resource_id=resource_id,
            patient_ids=(patient_id,) if known else (),
            outcome=outcome,
            at=self._clock.now(),
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
