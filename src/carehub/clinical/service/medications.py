"""Medications use cases: start one (doctors and admins; a code already active for the
patient is a warning, not a refusal), stop it with a reason, or complete it; and record
many of one patient's at once, as another record holds them (imports)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from carehub.clinical import access
from carehub.clinical.errors import (
    ChangedMeanwhile,
    MedicationNotFound,
    PatientInactive,
    PrescriberRequired,
)
from carehub.clinical.events import MedicationCompleted, MedicationStarted, MedicationStopped
from carehub.clinical.medications import Medication, MedicationCode, MedicationStatus, Route
from carehub.clinical.model import ItemKind, Revision
from carehub.clinical.ports import ClinicalUnitOfWork
from carehub.clinical.service.record import Change, Concept, ItemRecord
from carehub.kernel.actor import Actor, Role
from carehub.kernel.clock import Clock
from carehub.kernel.events import DomainEvent
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.ids import new_id

MEDICATIONS = Concept(
    ItemKind.MEDICATION, "medication", lambda uow: uow.medications, MedicationNotFound
)
ACTIVE = frozenset({MedicationStatus.ACTIVE.value})
# Active medications read to find one with the same code: a patient has a few dozen at
# most, so this bound is never reached in practice and keeps a start's reads finite.
_ACTIVE_PAGES = 10
_PAGE = 200


@dataclass(frozen=True)
class MedicationDraft:
    name: str
    start: date | None = None  # today when absent
    code: MedicationCode | None = None
    dose: Decimal | None = None
    dose_unit: str | None = None
    route: Route | None = None
    frequency: str | None = None
    end: date | None = None
    prescriber_id: str | None = None  # the acting doctor's practitioner id when absent


@dataclass(frozen=True)
class RecordedMedication:
    """A medication as another record holds it: what was started, and how it stands now
    (a stopped one with the reason it was stopped)."""

    draft: MedicationDraft
    status: MedicationStatus = MedicationStatus.ACTIVE
    stop_reason: str | None = None


@dataclass(frozen=True)
class Started:
    """A started medication, and the patient's other active ones with the same code."""

    medication: Medication
    same_code_active: list[str]


class MedicationService(ItemRecord[Medication]):
    """Starting, stopping, completing and reading medications."""

    def __init__(self, uow_factory: Callable[[], ClinicalUnitOfWork], clock: Clock) -> None:
        super().__init__(uow_factory, clock, MEDICATIONS)

    async def start(
        self,
        *,
        actor: Actor,
        patient_id: str,
        draft: MedicationDraft,
        idempotency: IdempotencyClaim | None = None,
    ) -> Started:
        """Start a medication; the answer names active ones with the same code."""
        duplicates: list[str] = []

        async def build(uow: ClinicalUnitOfWork, now: datetime) -> Medication:
            medication = _new_medication(actor, patient_id, draft, now)
            duplicates.extend(await _same_code_active(uow, medication))
            return medication

        medication = await self._create(
            actor=actor,
            patient_id=patient_id,
            build=build,
            events=lambda _, med, now: [MedicationStarted.of(med, actor, now)],
            verb="start",
            action="started",
            idempotency=idempotency,
        )
        return Started(medication, duplicates)

    async def record_many(
        self, *, actor: Actor, patient_id: str, medications: Sequence[RecordedMedication]
    ) -> list[Medication]:
        """Record many medications of one patient in one unit of work (imports): each is
        started and, when its record says so, stopped or completed at once, leaving the
        revisions, events and audit entries those use cases leave. All or none."""
        audited = MEDICATIONS.resource + ".start"
        now = self._clock.now()
        async with self._uow() as uow:
            patient = await self._patient(uow, actor, patient_id, audited)
            async with self._gate.checking(uow, actor, audited, patient_id=patient_id):
                access.check_can_write(actor, ItemKind.MEDICATION)
                if not patient.active:
                    raise PatientInactive(patient_id)
                recorded = [_recorded(actor, patient_id, m, now) for m in medications]
            for started, final in recorded:
                await uow.medications.add(Revision(now, actor.id, "started", started))
                uow.record(MedicationStarted.of(started, actor, now))
                uow.audit(self._gate.allowed(actor, audited, started))
                if final is not started:
                    await self._record_end(uow, actor, final, now)
            await uow.commit()
        return [final for _, final in recorded]

    async def _record_end(
        self, uow: ClinicalUnitOfWork, actor: Actor, final: Medication, now: datetime
    ) -> None:
        stopped = final.status is MedicationStatus.STOPPED
        verb, action = ("stop", "stopped") if stopped else ("complete", "completed")
        reason = final.stop_reason if stopped else None
        # Written in this unit a moment ago, so the store holds the version before this one.
        if not await uow.medications.replace(Revision(now, actor.id, action, final, reason)):
            raise ChangedMeanwhile()
        event: DomainEvent = (
            MedicationStopped.of(final, actor, now)
            if stopped
            else MedicationCompleted.of(final, actor, now)
        )
        uow.record(event)
        uow.audit(self._gate.allowed(actor, f"{MEDICATIONS.resource}.{verb}", final))

    async def stop(
        self,
        *,
        actor: Actor,
        patient_id: str,
        medication_id: str,
        reason: str,
        if_version: int | None = None,
    ) -> Medication:
        """Stop an active medication early, with a reason."""

        async def stopped(uow: ClinicalUnitOfWork, med: Medication, now: datetime) -> Medication:
            return med.stopped(reason, now)

        change = Change(
            "stop",
            "stopped",
            stopped,
            lambda _, med, now: [MedicationStopped.of(med, actor, now)],
            reason=reason,
        )
        return await self._change(
            change,
            actor=actor,
            patient_id=patient_id,
            item_id=medication_id,
            if_version=if_version,
        )

    async def complete(
        self,
        *,
        actor: Actor,
        patient_id: str,
        medication_id: str,
        if_version: int | None = None,
    ) -> Medication:
        """Mark an active medication's course as run."""

        async def completed(uow: ClinicalUnitOfWork, med: Medication, now: datetime) -> Medication:
            return med.completed(now)

        change = Change(
            "complete",
            "completed",
            completed,
            lambda _, med, now: [MedicationCompleted.of(med, actor, now)],
        )
        return await self._change(
            change,
            actor=actor,
            patient_id=patient_id,
            item_id=medication_id,
            if_version=if_version,
        )


def _recorded(
    actor: Actor, patient_id: str, recorded: RecordedMedication, now: datetime
) -> tuple[Medication, Medication]:
    """The medication as started, and as it stands once its record's status is applied."""
    started = _new_medication(actor, patient_id, recorded.draft, now)
    if recorded.status is MedicationStatus.STOPPED:
        return started, started.stopped(recorded.stop_reason or "", now)
    if recorded.status is MedicationStatus.COMPLETED:
        return started, started.completed(now)
    return started, started


def _new_medication(
    actor: Actor, patient_id: str, draft: MedicationDraft, now: datetime
) -> Medication:
    return Medication(
        id=new_id(),
        patient_id=patient_id,
        name=draft.name,
        prescriber_id=_prescriber(actor, draft),
        start=draft.start or now.date(),
        created_at=now,
        code=draft.code,
        dose=draft.dose,
        dose_unit=draft.dose_unit,
        route=draft.route,
        frequency=draft.frequency,
        end=draft.end,
    )


def _prescriber(actor: Actor, draft: MedicationDraft) -> str:
    if draft.prescriber_id is not None:
        return draft.prescriber_id
    if actor.role is Role.DOCTOR and actor.practitioner_id is not None:
        return actor.practitioner_id
    raise PrescriberRequired()


async def _same_code_active(uow: ClinicalUnitOfWork, medication: Medication) -> list[str]:
    """The ids of the patient's active medications with the same code, newest first."""
    if medication.code is None:
        return []
    found: list[str] = []
    cursor: str | None = None
    for _ in range(_ACTIVE_PAGES):
        page = await uow.medications.for_patient(
            medication.patient_id, statuses=ACTIVE, cursor=cursor, limit=_PAGE
        )
        found += [m.id for m in page.items if medication.same_code_as(m)]
        cursor = page.next_cursor
        if cursor is None:
            break
    return found
