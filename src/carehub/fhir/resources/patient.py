"""A carehub patient as a FHIR Patient."""

from __future__ import annotations

from typing import Any

from carehub.fhir.wire import MRN_SYSTEM, fhir_date, meta, reference
from carehub.patients.model import Address, Patient

# FHIR's identifier type for a medical record number (v2 table 0203).
_MR_TYPE = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}],
    "text": "Medical record number",
}


def patient_resource(patient: Patient) -> dict[str, Any]:
    """The record as FHIR R4 shows it: the MRN is an identifier of carehub's system (one per
    country, so the country is the assigner), the country the managing Organization."""
    d = patient.details
    name: dict[str, Any] = {"use": "official", "text": d.name.text}
    if d.name.family:
        name["family"] = d.name.family
    if d.name.given:
        name["given"] = list(d.name.given)
    identifiers: list[dict[str, Any]] = [
        {
            "use": "usual",
            "type": _MR_TYPE,
            "system": f"{MRN_SYSTEM}:{patient.country_id}",
            "value": patient.mrn,
        }
    ]
    identifiers += [{"system": i.system, "value": i.value} for i in d.identifiers]
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient.id,
        "meta": meta(patient.version, patient.updated_at),
        "identifier": identifiers,
        "active": patient.active,
        "name": [name],
    }
    telecom = [
        *([{"system": "phone", "value": d.phone}] if d.phone else []),
        *([{"system": "email", "value": d.email}] if d.email else []),
    ]
    if telecom:
        resource["telecom"] = telecom
    if d.sex is not None:
        resource["gender"] = d.sex.value
    if d.birth_date is not None:
        resource["birthDate"] = fhir_date(d.birth_date)
        if d.birth_date_estimated:
            resource["_birthDate"] = {"extension": [_ESTIMATED]}
    if d.address is not None:
        resource["address"] = [address_resource(d.address)]
    resource["managingOrganization"] = reference("Organization", patient.country_id)
    return resource


# An age given instead of a birth date: the date is carehub's estimate, and says so.
_ESTIMATED = {"url": "urn:carehub:fhir:birth-date-estimated", "valueBoolean": True}


def address_resource(address: Address) -> dict[str, Any]:
    """An Address with only the parts that are known."""
    out: dict[str, Any] = {}
    if address.text:
        out["text"] = address.text
    if address.lines:
        out["line"] = list(address.lines)
    for key, value in (
        ("city", address.city),
        ("district", address.district),
        ("state", address.state),
        ("postalCode", address.postal_code),
        ("country", address.country),
    ):
        if value:
            out[key] = value
    return out
