"""A doctor as a Practitioner (who they are) and a PractitionerRole (where and when they
work, and in what specialty). Both have the doctor's id."""

from __future__ import annotations

from typing import Any

from carehub.fhir.resources.weekly_hours import weekly_times
from carehub.fhir.wire import CAREHUB_SYSTEM, DOCTOR_SYSTEM, fhir_date, meta, reference
from carehub.kernel.calendar import DateOverride
from carehub.patients.model import HumanName
from carehub.practitioners.model import Doctor

LICENSE_SYSTEM = f"{CAREHUB_SYSTEM}:license"
# v2-0203 "MD": a medical license number.
_LICENSE_TYPE = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MD"}],
    "text": "Medical license number",
}
# Titles doctors' names are often written with; they are a prefix, not a given name.
_TITLES = frozenset({"dr", "dra", "doctor", "doctora", "prof", "profa"})


def practitioner_resource(doctor: Doctor) -> dict[str, Any]:
    """The doctor as a Practitioner: identifiers, name, contact, active."""
    identifiers: list[dict[str, Any]] = [{"system": DOCTOR_SYSTEM, "value": doctor.id}]
    if doctor.license:
        identifiers.insert(
            0, {"type": _LICENSE_TYPE, "system": LICENSE_SYSTEM, "value": doctor.license}
        )
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": doctor.id,
        "meta": meta(doctor.version, doctor.updated_at),
        "identifier": identifiers,
        "active": doctor.active,
        "name": [practitioner_name(doctor.name)],
    }
    telecom = [
        {"system": system, "value": value, "use": "work"}
        for system, value in (("email", doctor.email), ("phone", doctor.phone))
        if value
    ]
    if telecom:
        resource["telecom"] = telecom
    return resource


def practitioner_role_resource(doctor: Doctor) -> dict[str, Any]:
    """The doctor's place of work (their country), specialty and weekly hours."""
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": doctor.id,
        "meta": meta(doctor.version, doctor.updated_at),
        "identifier": [{"system": DOCTOR_SYSTEM, "value": doctor.id}],
        "active": doctor.active,
        "practitioner": reference("Practitioner", doctor.id),
        "organization": reference("Organization", doctor.country_id),
        "location": [reference("Location", doctor.country_id)],
        "specialty": [{"text": doctor.specialty}],
    }
    available = weekly_times(
        doctor.weekly, opening="availableStartTime", closing="availableEndTime"
    )
    if available:
        resource["availableTime"] = available
    days_off = [_day_off(o) for o in sorted(doctor.overrides) if not o.windows]
    if days_off:
        resource["notAvailable"] = days_off
    return resource


def practitioner_name(text: str) -> dict[str, Any]:
    """A HumanName from the name as written: a leading title is its prefix, the last word
    its family name, the words between its given names."""
    words = text.split()
    prefix: list[str] = []
    while len(words) > 1 and words[0].lower().rstrip(".") in _TITLES:
        prefix.append(words.pop(0))
    split = HumanName.from_text(" ".join(words))
    name: dict[str, Any] = {"text": " ".join(text.split())}
    if split.family:
        name["family"] = split.family
    if split.given:
        name["given"] = list(split.given)
    if prefix:
        name["prefix"] = prefix
    return name


def _day_off(override: DateOverride) -> dict[str, Any]:
    # Only whole days off fit `notAvailable`; changed hours on a date show in the Slots.
    day = fhir_date(override.on)
    return {"description": "Day off", "during": {"start": day, "end": day}}
