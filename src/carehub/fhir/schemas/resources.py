"""The resource types carehub reads, each by its own model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carehub.fhir.schemas.conditions import read_allergy, read_condition
from carehub.fhir.schemas.medications import (
    read_medication,
    read_medication_request,
    read_medication_statement,
)
from carehub.fhir.schemas.patient import read_patient
from carehub.fhir.schemas.places import read_location, read_organization
from carehub.fhir.schemas.practitioners import read_practitioner, read_practitioner_role

_READERS: dict[str, Callable[[Any], Any]] = {
    "Patient": read_patient,
    "Practitioner": read_practitioner,
    "PractitionerRole": read_practitioner_role,
    "Organization": read_organization,
    "Location": read_location,
    "Condition": read_condition,
    "AllergyIntolerance": read_allergy,
    "Medication": read_medication,
    "MedicationRequest": read_medication_request,
    "MedicationStatement": read_medication_statement,
}
# What an import reads; the entries of every other type are skipped.
KEPT = frozenset(_READERS)


def read_resource(resource_type: str, resource: Any) -> Any:
    """`resource` read by its type's model; Invalid naming every element in error."""
    return _READERS[resource_type](resource)
