"""Condition and AllergyIntolerance as carehub takes them in: entries of the patient's
record (`CodedEntry`: the first coding's system, code and display, or the text alone).

Only what holds now is kept: a Condition that is active (or recurs, or relapsed) and
neither refuted, entered in error nor one of a differential; an allergy that is active and
neither refuted nor entered in error (an unconfirmed allergy is kept: a suspected allergy
matters). The others are skipped, with the status that decided it as the reason."""

from __future__ import annotations

from typing import Any, Literal

from carehub.fhir.schemas.datatypes import CodeableConcept, Reference
from carehub.fhir.schemas.elements import (
    DOMAIN_RESOURCE_ELEMENTS,
    RESOURCE_PRIMITIVES,
    DomainResource,
)
from carehub.fhir.schemas.errors import read_model
from carehub.patients.model import CodedEntry

_CURRENT_CONDITION = frozenset({"active", "recurrence", "relapse"})
_DOUBTFUL_CONDITION = frozenset({"refuted", "entered-in-error", "differential"})
_DOUBTFUL_ALLERGY = frozenset({"refuted", "entered-in-error"})
_ONSET_AND_ABATEMENT = frozenset(
    f"{when}{kind}"
    for when in ("onset", "abatement")
    for kind in ("DateTime", "Age", "Period", "Range", "String")
)


class ConditionIn(DomainResource):
    """A FHIR R4 Condition."""

    NOT_KEPT = (
        DOMAIN_RESOURCE_ELEMENTS
        | _ONSET_AND_ABATEMENT
        | {
            "identifier",
            "category",
            "severity",
            "bodySite",
            "encounter",
            "recordedDate",
            "recorder",
            "asserter",
            "stage",
            "evidence",
            "note",
        }
    )
    PRIMITIVES = RESOURCE_PRIMITIVES | {
        "onsetDateTime",
        "onsetString",
        "abatementDateTime",
        "abatementString",
        "recordedDate",
    }

    resource_type: Literal["Condition"]
    # Modifiers, both: they say whether the condition holds at all.
    clinical_status: CodeableConcept | None = None
    verification_status: CodeableConcept | None = None
    code: CodeableConcept | None = None
    subject: Reference

    def why_not_kept(self) -> str | None:
        """Why carehub does not keep this condition; None when it does."""
        clinical = _status(self.clinical_status)
        if clinical is not None and clinical not in _CURRENT_CONDITION:
            return f"clinicalStatus {clinical}: carehub keeps current conditions only"
        verification = _status(self.verification_status)
        if verification in _DOUBTFUL_CONDITION:
            return f"verificationStatus {verification}: not a condition the patient has"
        return None if coded_entry(self.code) else "no code and no text"


class AllergyIntoleranceIn(DomainResource):
    """A FHIR R4 AllergyIntolerance."""

    NOT_KEPT = (
        DOMAIN_RESOURCE_ELEMENTS
        | {f"onset{kind}" for kind in ("DateTime", "Age", "Period", "Range", "String")}
        | {
            "identifier",
            "type",
            "category",
            "criticality",
            "encounter",
            "recordedDate",
            "recorder",
            "asserter",
            "lastOccurrence",
            "note",
            "reaction",
        }
    )
    PRIMITIVES = RESOURCE_PRIMITIVES | {
        "type",
        "category",
        "criticality",
        "onsetDateTime",
        "onsetString",
        "recordedDate",
        "lastOccurrence",
    }

    resource_type: Literal["AllergyIntolerance"]
    clinical_status: CodeableConcept | None = None
    verification_status: CodeableConcept | None = None
    code: CodeableConcept | None = None
    patient: Reference

    def why_not_kept(self) -> str | None:
        """Why carehub does not keep this allergy; None when it does."""
        clinical = _status(self.clinical_status)
        if clinical is not None and clinical != "active":
            return f"clinicalStatus {clinical}: carehub keeps current allergies only"
        verification = _status(self.verification_status)
        if verification in _DOUBTFUL_ALLERGY:
            return f"verificationStatus {verification}: not an allergy the patient has"
        return None if coded_entry(self.code) else "no code and no text"


def coded_entry(concept: CodeableConcept | None) -> CodedEntry | None:
    """The first coding with a code (its display, else the concept's text), or the text
    alone; None when there is neither."""
    if concept is None:
        return None
    for coding in concept.coding:
        if coding.code:
            return CodedEntry(
                code=coding.code, system=coding.system, display=coding.display or concept.text
            )
    return CodedEntry(display=concept.text) if concept.text else None


def read_condition(resource: Any) -> ConditionIn:
    found: ConditionIn = read_model(ConditionIn, resource, "Condition")
    return found


def read_allergy(resource: Any) -> AllergyIntoleranceIn:
    found: AllergyIntoleranceIn = read_model(AllergyIntoleranceIn, resource, "AllergyIntolerance")
    return found


def _status(concept: CodeableConcept | None) -> str | None:
    if concept is None:
        return None
    return next((c.code for c in concept.coding if c.code), None)
