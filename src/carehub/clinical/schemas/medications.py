"""Medications bodies: what is taken, how and from when, and the warnings a start gives."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from carehub.clinical.medications import (
    CodeSystem,
    Medication,
    MedicationCode,
    MedicationStatus,
    Route,
)
from carehub.clinical.schemas.item_wire import Id, RevisionFields
from carehub.clinical.service.medications import MedicationDraft, Started
from carehub.web.schemas import WireModel
from carehub.web.text import ONE_LINE
from carehub.web.times import Day

DUPLICATE_ACTIVE_CODE = "duplicate-active-code"


def _number(value: Any) -> Any:
    # A dose is a JSON number: "500" or true is refused, as every number field is.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise PydanticCustomError("number_type", "must be a number")
    return value


Dose = Annotated[
    Decimal,
    BeforeValidator(_number),
    Field(gt=0, max_digits=12, decimal_places=4),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0}),
]


class CodeWire(WireModel):
    system: CodeSystem
    code: Annotated[str, StringConstraints(min_length=1, max_length=64), ONE_LINE]


class MedicationCreate(WireModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200), ONE_LINE]
    code: CodeWire | None = Field(None, description="Its code and code system, when known")
    dose: Dose | None = Field(None, description="With doseUnit")
    dose_unit: Annotated[str, StringConstraints(min_length=1, max_length=32), ONE_LINE] | None = (
        None
    )
    route: Route | None = None
    frequency: Annotated[str, StringConstraints(min_length=1, max_length=100), ONE_LINE] | None = (
        None
    )
    start: Day | None = Field(None, description="YYYY-MM-DD; today when absent")
    end: Day | None = Field(None, description="YYYY-MM-DD, the planned end of the course")
    prescriber_id: Id | None = Field(
        None, description="The prescribing practitioner; the acting doctor when absent"
    )

    def to_draft(self) -> MedicationDraft:
        code = None if self.code is None else MedicationCode(self.code.system, self.code.code)
        return MedicationDraft(
            name=self.name,
            start=self.start,
            code=code,
            dose=self.dose,
            dose_unit=self.dose_unit,
            route=self.route,
            frequency=self.frequency,
            end=self.end,
            prescriber_id=self.prescriber_id,
        )


class MedicationRead(WireModel):
    id: str
    patient_id: str
    name: str
    code: CodeWire | None
    dose: float | None
    dose_unit: str | None
    route: Route | None
    frequency: str | None
    start: date
    end: date | None
    prescriber_id: str
    status: MedicationStatus
    stop_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime | None


class WarningRead(WireModel):
    """Something to look at, not a refusal: the same code is already active."""

    code: Literal["duplicate-active-code"]
    medication_id: str


class MedicationStartedRead(MedicationRead):
    warnings: list[WarningRead]


class MedicationPage(WireModel):
    items: list[MedicationRead]
    next_cursor: str | None


class MedicationRevisionRead(RevisionFields):
    medication: MedicationRead


class MedicationHistory(WireModel):
    items: list[MedicationRevisionRead]


def _dose_number(dose: Decimal | None) -> int | float | None:
    """The dose as the JSON number it was sent as: 500 stays 500, not 500.0."""
    if dose is None:
        return None
    return int(dose) if dose == dose.to_integral_value() else float(dose)


def medication_json(medication: Medication) -> dict[str, Any]:
    code = medication.code
    return {
        "id": medication.id,
        "patientId": medication.patient_id,
        "name": medication.name,
        "code": None if code is None else {"system": code.system, "code": code.code},
        "dose": _dose_number(medication.dose),
        "doseUnit": medication.dose_unit,
        "route": medication.route,
        "frequency": medication.frequency,
        "start": medication.start,
        "end": medication.end,
        "prescriberId": medication.prescriber_id,
        "status": medication.status,
        "stopReason": medication.stop_reason,
        "version": medication.version,
        "createdAt": medication.created_at,
        "updatedAt": medication.updated_at,
    }


def started_json(started: Started) -> dict[str, Any]:
    warnings = [
        {"code": DUPLICATE_ACTIVE_CODE, "medicationId": other} for other in started.same_code_active
    ]
    return {**medication_json(started.medication), "warnings": warnings}
