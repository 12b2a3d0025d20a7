"""Medications: what a patient takes, from start to stop or completion."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from carehub.clinical.errors import TransitionRefused
from carehub.clinical.model import Revision, required_reason
from carehub.kernel.errors import FieldError, Invalid


class MedicationStatus(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"  # ended early, with a reason
    COMPLETED = "completed"  # the course ran as prescribed


class CodeSystem(StrEnum):
    """Where a medication's code comes from."""

    RXNORM = "rxnorm"
    ATC = "atc"
    SNOMED = "snomed"
    NDC = "ndc"


class Route(StrEnum):
    """How it is given (the common routes of SNOMED CT's route of administration)."""

    ORAL = "oral"
    SUBLINGUAL = "sublingual"
    BUCCAL = "buccal"
    INTRAVENOUS = "intravenous"
    INTRAMUSCULAR = "intramuscular"
    SUBCUTANEOUS = "subcutaneous"
    INTRADERMAL = "intradermal"
    TOPICAL = "topical"
    TRANSDERMAL = "transdermal"
    INHALATION = "inhalation"
    NASAL = "nasal"
    OPHTHALMIC = "ophthalmic"
    OTIC = "otic"
    RECTAL = "rectal"
    VAGINAL = "vaginal"
    ENTERAL = "enteral"
    OTHER = "other"


@dataclass(frozen=True)
class MedicationCode:
    system: CodeSystem
    code: str


@dataclass(frozen=True)
class Medication:
    id: str
    patient_id: str
    name: str
    prescriber_id: str
    start: date
    created_at: datetime
    code: MedicationCode | None = None
    dose: Decimal | None = None
    dose_unit: str | None = None
    route: Route | None = None
    frequency: str | None = None
    end: date | None = None
    status: MedicationStatus = MedicationStatus.ACTIVE
    version: int = 1
    updated_at: datetime | None = None
    stop_reason: str | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise Invalid(
                "A medication cannot end before it starts",
                errors=[FieldError("end", "is before start")],
            )
        if (self.dose is None) != (self.dose_unit is None):
            raise Invalid(
                "A dose needs its unit, and a unit its dose",
                errors=[FieldError("doseUnit" if self.dose is not None else "dose", "missing")],
            )

    def stopped(self, reason: str, at: datetime) -> Medication:
        self._must_be_active("stopped")
        return replace(
            self,
            status=MedicationStatus.STOPPED,
            stop_reason=required_reason(reason),
            end=self._ended_by(at),
            version=self.version + 1,
            updated_at=at,
        )

    def completed(self, at: datetime) -> Medication:
        self._must_be_active("completed")
        return replace(
            self,
            status=MedicationStatus.COMPLETED,
            end=self._ended_by(at),
            version=self.version + 1,
            updated_at=at,
        )

    def same_code_as(self, other: Medication) -> bool:
        return self.code is not None and self.code == other.code and self.id != other.id

    def _ended_by(self, at: datetime) -> date:
        """The day it ended: the planned end when that came first, else the day it stopped
        (never before the start, for a course stopped before it began)."""
        today = at.date()
        if self.end is not None and self.end <= today:
            return self.end
        return max(today, self.start)

    def _must_be_active(self, change: str) -> None:
        if self.status is not MedicationStatus.ACTIVE:
            raise TransitionRefused("medication", self.status.value, change)


MedicationRevision = Revision[Medication]
