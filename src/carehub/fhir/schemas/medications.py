"""MedicationRequest and MedicationStatement as carehub takes them in: a medication of the
patient (what, how much, by which route, how often, from when, prescribed by whom, and
whether it is active, stopped or completed); Medication only for the code a reference to
it names. Every other element is named, not kept.

What does not map is skipped with a reason: a request that is not an order (a proposal or
a plan), one not to take a medication (`doNotPerform`), or a status other than active,
stopped or completed (a draft, one on hold, cancelled or entered in error)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool

from carehub.clinical.medications import MedicationCode, MedicationStatus
from carehub.fhir.resources.medication import MEDICATION_CODE_SYSTEMS
from carehub.fhir.schemas.datatypes import CodeableConcept, Period, Reference
from carehub.fhir.schemas.dosage import Dosage
from carehub.fhir.schemas.elements import (
    DOMAIN_RESOURCE_ELEMENTS,
    RESOURCE_PRIMITIVES,
    DomainResource,
    FhirDateTime,
)
from carehub.fhir.schemas.errors import read_model

_ORDERS = frozenset({"order", "original-order", "reflex-order", "filler-order", "instance-order"})
_STATUSES = {s.value: s for s in MedicationStatus}  # active, stopped, completed
RequestStatus = Literal[
    "active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft", "unknown"
]
RequestIntent = Literal[
    "proposal",
    "plan",
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
]
StatementStatus = Literal[
    "active",
    "completed",
    "entered-in-error",
    "intended",
    "stopped",
    "on-hold",
    "unknown",
    "not-taken",
]
_NAME_LENGTH = 200  # as a carehub medication's name
# A contained resource is read only when a reference points into it.
Contained = tuple[dict[str, Any], ...]


class MedicationIn(DomainResource):
    """A FHIR R4 Medication: only its code (and whether it was entered in error)."""

    NOT_KEPT = DOMAIN_RESOURCE_ELEMENTS | {
        "identifier",
        "manufacturer",
        "form",
        "amount",
        "ingredient",
        "batch",
    }
    PRIMITIVES = RESOURCE_PRIMITIVES | {"status"}

    resource_type: Literal["Medication"]
    code: CodeableConcept | None = None
    # A modifier: a Medication entered in error names nothing.
    status: Literal["active", "inactive", "entered-in-error"] | None = None

    def concept(self) -> CodeableConcept | None:
        return None if self.status == "entered-in-error" else self.code


class MedicationRequestIn(DomainResource):
    """A FHIR R4 MedicationRequest."""

    NOT_KEPT = (DOMAIN_RESOURCE_ELEMENTS - {"contained"}) | {
        "identifier",
        "statusReason",
        "category",
        "priority",
        "reportedBoolean",
        "reportedReference",
        "encounter",
        "supportingInformation",
        "performer",
        "performerType",
        "recorder",
        "reasonCode",
        "reasonReference",
        "instantiatesCanonical",
        "instantiatesUri",
        "basedOn",
        "groupIdentifier",
        "courseOfTherapyType",
        "insurance",
        "note",
        "dispenseRequest",
        "substitution",
        "priorPrescription",
        "detectedIssue",
        "eventHistory",
    }
    PRIMITIVES = RESOURCE_PRIMITIVES | {
        "status",
        "intent",
        "priority",
        "doNotPerform",
        "reportedBoolean",
        "authoredOn",
        "instantiatesCanonical",
        "instantiatesUri",
    }

    resource_type: Literal["MedicationRequest"]
    contained: Contained = Field((), max_length=20)
    # Modifiers, all three: they say whether it is a prescription to act on at all.
    status: RequestStatus
    intent: RequestIntent
    do_not_perform: StrictBool | None = None
    medication_codeable_concept: CodeableConcept | None = None
    medication_reference: Reference | None = None
    subject: Reference
    authored_on: FhirDateTime | None = None
    requester: Reference | None = None
    dosage_instruction: tuple[Dosage, ...] = Field((), max_length=20)

    def why_not_kept(self) -> str | None:
        """Why carehub does not keep this request as a medication; None when it does."""
        if self.intent not in _ORDERS:
            return f"intent {self.intent}: not a prescription"
        if self.do_not_perform:
            return "doNotPerform: a request not to take it"
        if self.status not in _STATUSES:
            return f"status {self.status}: carehub keeps active, stopped and completed ones"
        return None

    def medication_status(self) -> MedicationStatus:
        return _STATUSES[self.status]


class MedicationStatementIn(DomainResource):
    """A FHIR R4 MedicationStatement."""

    NOT_KEPT = (DOMAIN_RESOURCE_ELEMENTS - {"contained"}) | {
        "identifier",
        "basedOn",
        "partOf",
        "statusReason",
        "category",
        "context",
        "dateAsserted",
        "derivedFrom",
        "reasonCode",
        "reasonReference",
        "note",
    }
    PRIMITIVES = RESOURCE_PRIMITIVES | {"status", "effectiveDateTime", "dateAsserted"}

    resource_type: Literal["MedicationStatement"]
    contained: Contained = Field((), max_length=20)
    # A modifier: whether the medication is taken at all.
    status: StatementStatus
    medication_codeable_concept: CodeableConcept | None = None
    medication_reference: Reference | None = None
    subject: Reference
    effective_date_time: FhirDateTime | None = None
    effective_period: Period | None = None
    # Who said so: carehub's prescriber when it is a practitioner.
    information_source: Reference | None = None
    dosage: tuple[Dosage, ...] = Field((), max_length=20)

    def why_not_kept(self) -> str | None:
        """Why carehub does not keep this statement as a medication; None when it does."""
        if self.status not in _STATUSES:
            return f"status {self.status}: carehub keeps active, stopped and completed ones"
        return None

    def medication_status(self) -> MedicationStatus:
        return _STATUSES[self.status]


def read_medication(resource: Any) -> MedicationIn:
    found: MedicationIn = read_model(MedicationIn, resource, "Medication")
    return found


def read_medication_request(resource: Any) -> MedicationRequestIn:
    found: MedicationRequestIn = read_model(MedicationRequestIn, resource, "MedicationRequest")
    return found


def read_medication_statement(resource: Any) -> MedicationStatementIn:
    found: MedicationStatementIn = read_model(
        MedicationStatementIn, resource, "MedicationStatement"
    )
    return found


def named_code(concept: CodeableConcept) -> tuple[str | None, MedicationCode | None]:
    """A medication's name and carehub code: the first coding in a system carehub knows
    (RxNorm, ATC, SNOMED CT, NDC) gives the code, and its display the name; otherwise the
    concept's text, or any coding's display, names it without a code."""
    code = None
    name = None
    for coding in concept.coding:
        system = MEDICATION_CODE_SYSTEMS.get(coding.system or "")
        if system is not None and coding.code:
            code = MedicationCode(system, coding.code)
            name = coding.display
            break
    names = [name, concept.text, *(c.display for c in concept.coding)]
    return next((n for n in names if n and len(n) <= _NAME_LENGTH), None), code
