"""See, refuse and audit in one object: every domain that guards health data writes its
audit entries, allowed or refused, through an `AccessGate`, so a refusal reads the same
in every domain.

- an allowed access queues its entry; it commits with the use case's own work;
- a refused one is audited and committed at once, although the use case then fails;
- a record out of reach looks exactly like a missing one, and an entry about something
  that does not exist never names a patient.

Which actor may see which record stays with each domain's `access.py`; who may see a
patient is `carehub.kernel.patient_access`, for every domain.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import NoReturn, Protocol, TypeVar

from carehub.kernel.actor import Actor
from carehub.kernel.audit import AccessRecord, Outcome
from carehub.kernel.clock import Clock
from carehub.kernel.errors import CarehubError, Forbidden, NotFound
from carehub.kernel.patient_access import can_see_patient, needs_care_check
from carehub.kernel.patient_directory import PatientContact, PatientDirectory
from carehub.kernel.unit_of_work import UnitOfWork


class CareRelations(Protocol):
    """Where the gate asks whether a doctor has a patient in their care."""

    async def in_care_of(self, practitioner_id: str, patient_id: str) -> bool: ...


class Guarded(Protocol):
    """A record of one patient's data: what the gate names in the entries it writes."""

    @property
    def id(self) -> str: ...

    @property
    def patient_id(self) -> str: ...


G = TypeVar("G", bound=Guarded)


def outcome_of(error: Exception) -> Outcome:
    """How a refused attempt is audited: denied by an access rule, or failed on another."""
    return Outcome.DENIED if isinstance(error, Forbidden) else Outcome.FAILED


class AccessGate:
    """Checks access to one type of resource (`resource_type` in the audit trail) and
    writes the audit entries every attempt leaves."""

    def __init__(self, clock: Clock, resource_type: str) -> None:
        self._clock = clock
        self._resource_type = resource_type

    def record(
        self,
        actor: Actor,
        action: str,
        patient_id: str | None,
        resource_id: str | None,
        outcome: Outcome = Outcome.ALLOWED,
        *,
        known: bool = True,
    ) -> AccessRecord:
        """The audit entry of one attempt; `known=False` keeps the patient id out of it."""
        return AccessRecord(
            actor=actor,
            action=action,
            resource_type=self._resource_type,
            resource_id=resource_id,
            patient_ids=(patient_id,) if known and patient_id else (),
            outcome=outcome,
            at=self._clock.now(),
        )

    def listed(self, actor: Actor, action: str, patient_ids: tuple[str, ...]) -> AccessRecord:
        """The audit entry of a list or bulk access: every patient whose data it touched."""
        return AccessRecord(
            actor=actor,
            action=action,
            resource_type=self._resource_type,
            resource_id=None,
            patient_ids=patient_ids,
            outcome=Outcome.ALLOWED,
            at=self._clock.now(),
        )

    async def refuse(
        self,
        uow: UnitOfWork,
        actor: Actor,
        action: str,
        patient_id: str | None,
        outcome: Outcome,
        resource_id: str | None = None,
    ) -> None:
        """Audit a refused attempt; it is committed although the use case fails."""
        known = outcome is not Outcome.NOT_FOUND  # never list a patient that does not exist
        uow.audit(self.record(actor, action, patient_id, resource_id, outcome, known=known))
        await uow.commit()

    async def hide(
        self,
        uow: UnitOfWork,
        actor: Actor,
        action: str,
        missing: NotFound,
        *,
        resource_id: str | None,
        patient_id: str | None = None,
    ) -> NoReturn:
        """Refuse sight of a record and raise `missing`. With `patient_id` (whose record
        it is) the record exists and the refusal is audited as denied; without, nothing
        exists and it is audited as not found."""
        outcome = Outcome.NOT_FOUND if patient_id is None else Outcome.DENIED
        await self.refuse(uow, actor, action, patient_id, outcome, resource_id)
        raise missing

    def allowed(self, actor: Actor, action: str, record: Guarded) -> AccessRecord:
        """The audit entry of an allowed access to `record`."""
        return self.record(actor, action, record.patient_id, record.id)

    async def reveal(
        self,
        uow: UnitOfWork,
        actor: Actor,
        action: str,
        record: G | None,
        *,
        resource_id: str,
        missing: NotFound,
        may_see: Callable[[G], bool | Awaitable[bool]],
    ) -> G:
        """`record` if it exists and the actor `may_see` it; otherwise the refusal is
        audited and committed, and `missing` raised whether it exists or not."""
        if record is None:
            await self.hide(uow, actor, action, missing, resource_id=resource_id)
        allowed = may_see(record)
        if not isinstance(allowed, bool):
            allowed = await allowed
        if not allowed:
            await self.hide(
                uow, actor, action, missing, resource_id=resource_id, patient_id=record.patient_id
            )
        return record

    @asynccontextmanager
    async def checking(
        self,
        uow: UnitOfWork,
        actor: Actor,
        action: str,
        *,
        patient_id: str,
        resource_id: str | None = None,
    ) -> AsyncIterator[None]:
        """Run a use case's checks on one patient's data: an error they raise is audited
        (denied by an access rule, failed by any other) and committed before it goes on."""
        try:
            yield
        except CarehubError as exc:
            await self.refuse(uow, actor, action, patient_id, outcome_of(exc), resource_id)
            raise

    async def sees_patient(
        self, actor: Actor, care: CareRelations, *, patient_id: str, country_id: str
    ) -> bool:
        """Whether the actor may see this patient; the store is asked about care only for
        doctors."""
        in_care = False
        if needs_care_check(actor) and actor.practitioner_id is not None:
            in_care = await care.in_care_of(actor.practitioner_id, patient_id)
        return can_see_patient(actor, patient_id=patient_id, country_id=country_id, in_care=in_care)

    async def sees(self, actor: Actor, directory: PatientDirectory, patient_id: str) -> bool:
        """Whether the patient exists and the actor may see them (nothing is audited: the
        caller audits what it then does)."""
        patient = await directory.contact(patient_id)
        return patient is not None and await self.sees_patient(
            actor, directory, patient_id=patient_id, country_id=patient.country_id
        )

    async def patient(
        self,
        uow: UnitOfWork,
        directory: PatientDirectory,
        actor: Actor,
        action: str,
        patient_id: str,
        missing: type[NotFound],
    ) -> PatientContact:
        """The patient if the actor may see them; otherwise the refusal is audited and
        committed, and `missing(patient_id)` raised whether they exist or not."""
        patient = await directory.contact(patient_id)
        if patient is None:
            await self.hide(uow, actor, action, missing(patient_id), resource_id=None)
        if not await self.sees_patient(
            actor, directory, patient_id=patient_id, country_id=patient.country_id
        ):
            await self.hide(
                uow, actor, action, missing(patient_id), resource_id=None, patient_id=patient_id
            )
        return patient
