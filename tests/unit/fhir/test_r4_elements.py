"""Each FHIR input model accepts exactly the R4 elements of its type: the ones it keeps, the
ones it names as not kept (with the `_name` of each primitive) and the modifiers it
refuses. The lists are written by hand (fhir.resources is a test dependency only); here
they are checked against fhir.resources' R4B models, R4's 4.3 revision, whose elements
are R4's for these types."""

from __future__ import annotations

import importlib

import pytest

from carehub.fhir.schemas.bundle import BundleIn, EntryIn, RequestIn
from carehub.fhir.schemas.conditions import AllergyIntoleranceIn, ConditionIn
from carehub.fhir.schemas.datatypes import (
    Address,
    CodeableConcept,
    Coding,
    ContactPoint,
    HumanName,
    Identifier,
    Period,
    Quantity,
    Reference,
)
from carehub.fhir.schemas.dosage import Dosage, DoseAndRate, Timing, TimingRepeat
from carehub.fhir.schemas.elements import FhirElement
from carehub.fhir.schemas.medications import (
    MedicationIn,
    MedicationRequestIn,
    MedicationStatementIn,
)
from carehub.fhir.schemas.patient import PatientIn, PatientLink
from carehub.fhir.schemas.places import LocationIn, OrganizationIn
from carehub.fhir.schemas.practitioners import PractitionerIn, PractitionerRoleIn

# carehub's model, and the R4B model (module, class) it reads.
MODELS: list[tuple[type[FhirElement], str, str]] = [
    (BundleIn, "bundle", "Bundle"),
    (EntryIn, "bundle", "BundleEntry"),
    (RequestIn, "bundle", "BundleEntryRequest"),
    (PatientIn, "patient", "Patient"),
    (PatientLink, "patient", "PatientLink"),
    (PractitionerIn, "practitioner", "Practitioner"),
    (PractitionerRoleIn, "practitionerrole", "PractitionerRole"),
    (OrganizationIn, "organization", "Organization"),
    (LocationIn, "location", "Location"),
    (ConditionIn, "condition", "Condition"),
    (AllergyIntoleranceIn, "allergyintolerance", "AllergyIntolerance"),
    (MedicationIn, "medication", "Medication"),
    (MedicationRequestIn, "medicationrequest", "MedicationRequest"),
    (MedicationStatementIn, "medicationstatement", "MedicationStatement"),
    (Coding, "coding", "Coding"),
    (CodeableConcept, "codeableconcept", "CodeableConcept"),
    (Identifier, "identifier", "Identifier"),
    (Reference, "reference", "Reference"),
    (Period, "period", "Period"),
    (HumanName, "humanname", "HumanName"),
    (ContactPoint, "contactpoint", "ContactPoint"),
    (Address, "address", "Address"),
    (Quantity, "quantity", "Quantity"),
    (Dosage, "dosage", "Dosage"),
    (DoseAndRate, "dosage", "DosageDoseAndRate"),
    (Timing, "timing", "Timing"),
    (TimingRepeat, "timing", "TimingRepeat"),
]


def accepted(model: type[FhirElement]) -> set[str]:
    """Every name the model accepts: its fields, what it does not keep, `_` primitives."""
    fields = {info.alias or name for name, info in model.model_fields.items()}
    fields -= {"carehub:notKept", "resourceType"}
    return fields | set(model.NOT_KEPT) | {f"_{name}" for name in model.PRIMITIVES}


def r4_elements(module: str, name: str) -> set[str]:
    r4b = getattr(importlib.import_module(f"fhir.resources.R4B.{module}"), name)
    return {info.alias or field for field, info in r4b.model_fields.items()} - {"fhir_comments"}


@pytest.mark.parametrize(("model", "module", "name"), MODELS, ids=[m[2] for m in MODELS])
def test_a_model_accepts_exactly_the_r4_elements_of_its_type(
    model: type[FhirElement], module: str, name: str
) -> None:
    expected = r4_elements(module, name)
    assert accepted(model) - expected == set(), "names that are no R4 element"
    assert expected - accepted(model) == set(), "R4 elements the model would refuse"


@pytest.mark.parametrize(("model", "module", "name"), MODELS, ids=[m[2] for m in MODELS])
def test_what_a_model_keeps_is_never_also_not_kept(
    model: type[FhirElement], module: str, name: str
) -> None:
    kept = {info.alias for info in model.model_fields.values()}
    assert kept & set(model.NOT_KEPT) == set()
