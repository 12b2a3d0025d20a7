"""A patient's conditions and allergies as Condition and AllergyIntolerance resources.

carehub keeps them as coded entries inside the patient record, with no id of their own.
A resource's id is `{patient id}.{key}`: the patient's id (so `Condition/{id}` is read by
loading that patient) and a key of 16 hex digits hashed from the entry's kind, system, code
and display. The key is stable while the entry is listed unchanged, is the same wherever
it is listed in the record, and names a condition and an allergy apart even when their
codes are the same. Two identical entries are one resource. With a carehub-made patient
id (a UUIDv7, 36 characters) the id has 53 characters, within FHIR's 64; a patient id of
the caller's own fits when it is at most 47 letters, digits, '-' or '.'.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

from carehub.fhir.terminology import system_uri
from carehub.fhir.wire import concept, fhir_date, meta, reference
from carehub.patients.model import CodedEntry, Patient

EntryKind = Literal["condition", "allergy"]

_KEY = re.compile(r"[0-9a-f]{16}")
_PATIENT = re.compile(r"[A-Za-z0-9\-.]{1,47}")
_TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"


def condition_id(patient_id: str, entry: CodedEntry) -> str:
    """The id of the Condition that `entry` of the patient's conditions is."""
    return f"{patient_id}.{entry_key('condition', entry)}"


def parse_condition_id(resource_id: str) -> tuple[str, str] | None:
    """The patient id and entry key a Condition id names; None if it is not one."""
    return _parse(resource_id)


def allergy_id(patient_id: str, entry: CodedEntry) -> str:
    """The id of the AllergyIntolerance that `entry` of the patient's allergies is."""
    return f"{patient_id}.{entry_key('allergy', entry)}"


def parse_allergy_id(resource_id: str) -> tuple[str, str] | None:
    """The patient id and entry key an AllergyIntolerance id names; None if it is not one."""
    return _parse(resource_id)


def entry_key(kind: EntryKind, entry: CodedEntry) -> str:
    """The entry's key: what its resource id adds to the patient's id."""
    content = "\n".join((kind, entry.system or "", entry.code or "", entry.display or ""))
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def find_entry(patient: Patient, kind: EntryKind, key: str) -> CodedEntry | None:
    """The patient's condition or allergy with that key; None when none has it now."""
    details = patient.details
    entries = details.conditions if kind == "condition" else details.allergies
    return next((e for e in entries if entry_key(kind, e) == key), None)


def condition_resource(patient: Patient, entry: CodedEntry) -> dict[str, Any]:
    """One of the patient's conditions: an active, confirmed problem-list item."""
    return {
        "resourceType": "Condition",
        "id": condition_id(patient.id, entry),
        "meta": meta(None, patient.updated_at),
        "clinicalStatus": _status("condition-clinical", "active"),
        "verificationStatus": _status("condition-ver-status", "confirmed"),
        "category": [_status("condition-category", "problem-list-item")],
        "code": _code(entry),
        "subject": reference("Patient", patient.id),
        "recordedDate": fhir_date(patient.created_at.date()),
    }


def allergy_resource(patient: Patient, entry: CodedEntry) -> dict[str, Any]:
    """One of the patient's allergies: active and confirmed."""
    return {
        "resourceType": "AllergyIntolerance",
        "id": allergy_id(patient.id, entry),
        "meta": meta(None, patient.updated_at),
        "clinicalStatus": _status("allergyintolerance-clinical", "active"),
        "verificationStatus": _status("allergyintolerance-verification", "confirmed"),
        "code": _code(entry),
        "patient": reference("Patient", patient.id),
        "recordedDate": fhir_date(patient.created_at.date()),
    }


def condition_resources(patient: Patient) -> list[dict[str, Any]]:
    """Every condition of the patient, in the record's order, each once."""
    return _distinct([condition_resource(patient, e) for e in patient.details.conditions])


def allergy_resources(patient: Patient) -> list[dict[str, Any]]:
    """Every allergy of the patient, in the record's order, each once."""
    return _distinct([allergy_resource(patient, e) for e in patient.details.allergies])


def _parse(resource_id: str) -> tuple[str, str] | None:
    patient_id, dot, key = resource_id.rpartition(".")
    if not (dot and _PATIENT.fullmatch(patient_id) and _KEY.fullmatch(key)):
        return None
    return patient_id, key


def _code(entry: CodedEntry) -> dict[str, Any]:
    return concept(system_uri(entry.system), entry.code, entry.display)


def _status(code_system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": f"{_TERMINOLOGY}/{code_system}", "code": code}]}


def _distinct(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    distinct = []
    for resource in resources:
        if resource["id"] not in seen:
            seen.add(resource["id"])
            distinct.append(resource)
    return distinct
