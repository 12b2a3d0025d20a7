"""A MedicationStatement taken in (`POST` and `PUT`), and what it asks of the record.

carehub keeps a medication's name and one code, one dose with its unit, a route of its
closed list (as the route's text), a frequency (the timing's code text), the days it
runs, the prescriber and its status. Anything else is refused, naming the element: a
statement's note or reason would otherwise be lost without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from carehub.clinical.medications import MedicationCode, Route
from carehub.clinical.model import MAX_REASON
from carehub.clinical.service.medications import MedicationDraft
from carehub.fhir.resources.medication import MEDICATION_CODE_SYSTEMS, dosage_text
from carehub.fhir.schemas.write_datatypes import (
    CodeableConcept,
    FhirId,
    FhirWrite,
    FullDate,
    Instant,
    Meta,
    Period,
    Quantity,
    Reference,
)
from carehub.kernel.errors import FieldError, Invalid
from carehub.web.text import MANY_LINES, ONE_LINE

_CONCEPT = "medicationCodeableConcept"
_DOSAGE = "dosage[0]"
_SYSTEMS = ", ".join(sorted(MEDICATION_CODE_SYSTEMS))


class TimingCode(FhirWrite):
    text: Annotated[str, StringConstraints(min_length=1, max_length=100), ONE_LINE]


class Timing(FhirWrite):
    """How often, in words: carehub keeps a frequency as text."""

    code: TimingCode


class RouteText(FhirWrite):
    """The route as the text of one of carehub's routes (`oral`, `intravenous`, ...)."""

    text: Route


class DoseAndRate(FhirWrite):
    dose_quantity: Quantity


class Dosage(FhirWrite):
    text: Annotated[str, StringConstraints(min_length=1, max_length=400), ONE_LINE] | None = None
    route: RouteText | None = None
    timing: Timing | None = None
    dose_and_rate: Annotated[list[DoseAndRate], Field(min_length=1, max_length=1)] | None = None


class StatusReason(FhirWrite):
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_REASON), MANY_LINES]


class MedicationStatementWrite(FhirWrite):
    """The elements of a MedicationStatement carehub keeps (and `id`, `meta` and
    `dateAsserted`, which it sets itself)."""

    resource_type: Literal["MedicationStatement"]
    id: FhirId | None = None
    meta: Meta | None = None
    status: Literal["active", "stopped", "completed"]
    status_reason: Annotated[list[StatusReason], Field(min_length=1, max_length=1)] | None = None
    medication_codeable_concept: CodeableConcept
    subject: Reference
    effective_period: Period | None = None
    effective_date_time: FullDate | None = None
    date_asserted: Instant | None = None
    information_source: Reference | None = None
    dosage: Annotated[list[Dosage], Field(min_length=1, max_length=1)] | None = None

    def statement(self) -> Statement:
        """What the resource says, in carehub's terms (422 naming the element that
        carehub cannot keep as sent)."""
        period = self.effective_period
        if period is not None and self.effective_date_time is not None:
            raise _invalid("effectiveDateTime", "send effectivePeriod or effectiveDateTime")
        start = self.effective_date_time if period is None else period.start
        dose, unit, route, frequency = _dosage(self.dosage)
        prescriber = self.information_source
        draft = MedicationDraft(
            name=_name(self.medication_codeable_concept),
            start=start,
            code=_code(self.medication_codeable_concept),
            dose=dose,
            dose_unit=unit,
            route=route,
            frequency=frequency,
            end=None if period is None else period.end,
            prescriber_id=None
            if prescriber is None
            else prescriber.id_of("informationSource", "Practitioner"),
        )
        reason = None if self.status_reason is None else self.status_reason[0].text
        return Statement(
            resource_id=self.id,
            patient_id=self.subject.id_of("subject", "Patient"),
            status=self.status,
            reason=reason,
            draft=draft,
        )


@dataclass(frozen=True)
class Statement:
    """A MedicationStatement as carehub reads it: whose, in which status (and why), and
    the medication itself."""

    resource_id: str | None
    patient_id: str
    status: str
    reason: str | None
    draft: MedicationDraft


def _name(concept: CodeableConcept) -> str:
    codings = concept.coding or []
    name = concept.text or next((c.display for c in codings if c.display), None)
    if name is None:
        raise _invalid(f"{_CONCEPT}.text", "is required: the medication's name")
    return name


def _code(concept: CodeableConcept) -> MedicationCode | None:
    codings = concept.coding or []
    if len(codings) > 1:
        raise _invalid(f"{_CONCEPT}.coding", "carehub keeps one code of a medication")
    if not codings:
        return None
    coding = codings[0]
    system = MEDICATION_CODE_SYSTEMS.get(coding.system or "")
    if system is None:
        raise _invalid(f"{_CONCEPT}.coding[0].system", f"must be one of {_SYSTEMS}")
    if coding.code is None:
        raise _invalid(f"{_CONCEPT}.coding[0].code", "is required")
    return MedicationCode(system, coding.code)


def _dosage(
    dosages: list[Dosage] | None,
) -> tuple[Decimal | None, str | None, Route | None, str | None]:
    if not dosages:
        return None, None, None, None
    dosage = dosages[0]
    quantity = None if dosage.dose_and_rate is None else dosage.dose_and_rate[0].dose_quantity
    dose = None if quantity is None else quantity.value
    unit = None if quantity is None else quantity.unit
    route = None if dosage.route is None else dosage.route.text
    frequency = None if dosage.timing is None else dosage.timing.code.text
    written = dosage_text(dose, unit, route, frequency)
    if dosage.text is not None and dosage.text != written:
        # The text is written from the parts; a text saying more would be lost.
        raise _invalid(
            f"{_DOSAGE}.text", "carehub writes it from the dose, route and timing: send those"
        )
    if not written:
        raise _invalid(_DOSAGE, "holds no dose, route or timing carehub keeps")
    return dose, unit, route, frequency


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(f"{field} {message}", errors=[FieldError(field, message)])
