"""What a `PUT` of a MedicationStatement asks of the stored medication.

A medication is never edited: its only changes are stopping it (with a reason) and
completing it, each through its use case. A PUT is the whole resource, so everything but
the status (and the reason a stop needs) must be what is stored; anything else it would
change is refused, naming the element and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from carehub.clinical.medications import Medication, MedicationStatus
from carehub.fhir.schemas.medication_statement_write import Statement
from carehub.kernel.errors import FieldError, Invalid

_UNCHANGEABLE = "carehub never edits a medication: stop it and start another"


class Transition(StrEnum):
    NONE = "none"
    STOP = "stop"
    COMPLETE = "complete"


@dataclass(frozen=True)
class MedicationUpdate:
    transition: Transition
    reason: str | None = None


def requested_update(current: Medication, statement: Statement) -> MedicationUpdate:
    """The change the statement asks for (Invalid naming each element it may not change)."""
    errors = [FieldError(field, _UNCHANGEABLE) for field in _changed(current, statement)]
    if statement.resource_id != current.id:
        errors.insert(0, FieldError("id", "must be the id in the URL"))
    if errors:
        raise Invalid("The update changes what a medication keeps for ever", errors=errors)
    wanted = MedicationStatus(statement.status)
    if wanted is current.status:
        if statement.reason != current.stop_reason:
            raise _invalid("statusReason", "changes only with the status (to stopped)")
        return MedicationUpdate(Transition.NONE)
    if current.status is not MedicationStatus.ACTIVE:
        raise _invalid("status", f"a {current.status.value} medication stays so: start another")
    if wanted is MedicationStatus.STOPPED:
        if statement.reason is None:
            raise _invalid("statusReason", "is required to stop a medication")
        return MedicationUpdate(Transition.STOP, statement.reason)
    if statement.reason is not None:
        raise _invalid("statusReason", "is given only when a medication is stopped")
    return MedicationUpdate(Transition.COMPLETE)


def _changed(current: Medication, statement: Statement) -> list[str]:
    """The elements whose value differs from what is stored."""
    draft = statement.draft
    code = current.code
    parts = {
        "subject": (statement.patient_id, current.patient_id),
        "medicationCodeableConcept.text": (draft.name, current.name),
        "medicationCodeableConcept.coding": (draft.code, code),
        "dosage[0].doseAndRate[0].doseQuantity": (
            (draft.dose, draft.dose_unit),
            (current.dose, current.dose_unit),
        ),
        "dosage[0].route": (draft.route, current.route),
        "dosage[0].timing": (draft.frequency, current.frequency),
        "effectivePeriod.start": (draft.start, current.start),
        # The end of a course that stops or completes is set then, by carehub.
        "effectivePeriod.end": (draft.end, current.end),
        "informationSource": (draft.prescriber_id, current.prescriber_id),
    }
    return [field for field, (sent, stored) in parts.items() if sent != stored]


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(f"{field} {message}", errors=[FieldError(field, message)])
