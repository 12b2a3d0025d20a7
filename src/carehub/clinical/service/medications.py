"""Medications use cases: start one (doctors and admins; a code already active for the
patient is a warning, not a refusal), stop it with a reason, or complete it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from carehub.clinical.errors import MedicationNotFound, PrescriberRequired
from carehub.clinical.events import MedicationCompleted, MedicationStarted, MedicationStopped
from carehub.clinical.medications import Medication, MedicationCode, MedicationStatus, Route
from carehub.clinical.model import ItemKind
from carehub.clinical.ports import ClinicalUnitOfWork
from carehub.clinical.service.record import Change, Concept, ItemRecord
from carehub.kernel.actor import Actor, Role
from carehub.kernel.clock import Clock
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
            medication = Medication(
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
