"""A medication of the clinical record as a MedicationStatement: what the patient takes
(or took), from when to when, how, and on whose prescription."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from carehub.clinical.medications import CodeSystem, Medication, MedicationStatus, Route
from carehub.fhir import terminology
from carehub.fhir.wire import concept, fhir_date, instant, meta, reference

# carehub's code system of a medication -> the URI FHIR knows it by.
MEDICATION_SYSTEMS: dict[str, str] = {
    CodeSystem.RXNORM: terminology.RXNORM,
    CodeSystem.ATC: terminology.ATC,
    CodeSystem.SNOMED: terminology.SNOMED,
    CodeSystem.NDC: terminology.NDC,
}
# A Coding's system -> carehub's code system, for medications taken in.
MEDICATION_CODE_SYSTEMS: dict[str, CodeSystem] = {
    uri: CodeSystem(system) for system, uri in MEDICATION_SYSTEMS.items()
}
# carehub's statuses are MedicationStatement's own codes.
_STATUS = {
    MedicationStatus.ACTIVE: "active",
    MedicationStatus.STOPPED: "stopped",
    MedicationStatus.COMPLETED: "completed",
}


def medication_statement_resource(m: Medication) -> dict[str, Any]:
    """The medication as a MedicationStatement."""
    code = m.code
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": m.id,
        "meta": meta(m.version, m.updated_at or m.created_at),
        "status": _STATUS[m.status],
        "medicationCodeableConcept": concept(
            MEDICATION_SYSTEMS[code.system] if code else None,
            code.code if code else None,
            text=m.name,
        ),
        "subject": reference("Patient", m.patient_id),
        "effectivePeriod": _period(m),
        "dateAsserted": instant(m.created_at),
        "informationSource": reference("Practitioner", m.prescriber_id),
    }
    if m.status is MedicationStatus.STOPPED and m.stop_reason:
        resource["statusReason"] = [{"text": m.stop_reason}]
    dosage = _dosage(m)
    if dosage:
        resource["dosage"] = [dosage]
    return resource


def _period(m: Medication) -> dict[str, Any]:
    period = {"start": fhir_date(m.start)}
    if m.end is not None:
        period["end"] = fhir_date(m.end)
    return period


def dosage_text(
    dose: Decimal | None, unit: str | None, route: Route | None, frequency: str | None
) -> str:
    """The dosage's text, written from its parts ("500 mg oral twice a day", the dose as
    its JSON number says it); empty without any."""
    words = [str(_number(dose)), unit] if dose is not None and unit is not None else []
    words += [route.value] if route is not None else []
    words += [frequency] if frequency else []
    return " ".join(words)


def _dosage(m: Medication) -> dict[str, Any]:
    dosage: dict[str, Any] = {}
    if m.dose is not None and m.dose_unit is not None:
        dosage["doseAndRate"] = [{"doseQuantity": {"value": _number(m.dose), "unit": m.dose_unit}}]
    if m.route is not None:
        dosage["route"] = {"text": m.route.value}
    if m.frequency:
        dosage["timing"] = {"code": {"text": m.frequency}}
    text = dosage_text(m.dose, m.dose_unit, m.route, m.frequency)
    if text:
        dosage["text"] = text
    return dosage


def _number(value: Decimal) -> int | float:
    # A plain JSON number (the dicts are written with orjson, which refuses Decimal), as
    # the client sent it: 500 stays 500, not 500.0.
    return int(value) if value == value.to_integral_value() else float(value)
