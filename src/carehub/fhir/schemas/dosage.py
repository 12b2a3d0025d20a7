"""How a medication is taken (FHIR Dosage) as carehub keeps it: the dose with its unit, the
route and how often, as one line of text."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import Field, StrictBool, StrictInt

from carehub.clinical.medications import Route
from carehub.fhir.schemas.datatypes import CodeableConcept, Quantity
from carehub.fhir.schemas.elements import (
    ELEMENT_ELEMENTS,
    BackboneElement,
    FhirDecimal,
    FhirElement,
    String1024,
)

SNOMED = "http://snomed.info/sct"
# SNOMED CT's routes of administration, as carehub names them.
_ROUTES = {
    "26643006": Route.ORAL,
    "37839007": Route.SUBLINGUAL,
    "54471007": Route.BUCCAL,
    "47625008": Route.INTRAVENOUS,
    "78421000": Route.INTRAMUSCULAR,
    "34206005": Route.SUBCUTANEOUS,
    "372464004": Route.INTRADERMAL,
    "6064005": Route.TOPICAL,
    "45890007": Route.TRANSDERMAL,
    "447694001": Route.INHALATION,
    "18679011000001101": Route.INHALATION,
    "46713006": Route.NASAL,
    "54485002": Route.OPHTHALMIC,
    "10547007": Route.OTIC,
    "37161004": Route.RECTAL,
    "16857009": Route.VAGINAL,
    "417985001": Route.ENTERAL,
}
_UNITS = {
    "s": "second",
    "min": "minute",
    "h": "hour",
    "d": "day",
    "wk": "week",
    "mo": "month",
    "a": "year",
}
# As carehub's wire keeps a dose: up to 8 digits before the point and 4 after.
_LARGEST_DOSE = Decimal("99999999.9999")
_FREQUENCY_LENGTH = 100


class TimingRepeat(FhirElement):
    NOT_KEPT = ELEMENT_ELEMENTS | {
        "boundsDuration",
        "boundsRange",
        "boundsPeriod",
        "count",
        "countMax",
        "duration",
        "durationMax",
        "durationUnit",
        "frequencyMax",
        "periodMax",
        "dayOfWeek",
        "timeOfDay",
        "when",
        "offset",
    }
    PRIMITIVES = frozenset(
        {
            "count",
            "countMax",
            "duration",
            "durationMax",
            "durationUnit",
            "frequency",
            "frequencyMax",
            "period",
            "periodMax",
            "periodUnit",
            "dayOfWeek",
            "timeOfDay",
            "when",
            "offset",
        }
    )

    frequency: StrictInt | None = Field(None, ge=1, le=1000)
    period: FhirDecimal | None = Field(None, gt=0, le=1000)
    period_unit: Literal["s", "min", "h", "d", "wk", "mo", "a"] | None = None


class Timing(BackboneElement):
    NOT_KEPT = ELEMENT_ELEMENTS | {"event", "code"}
    PRIMITIVES = frozenset({"event"})

    repeat: TimingRepeat | None = None


class DoseAndRate(FhirElement):
    NOT_KEPT = ELEMENT_ELEMENTS | {"type", "doseRange", "rateRatio", "rateRange", "rateQuantity"}

    dose_quantity: Quantity | None = None


class Dosage(BackboneElement):
    NOT_KEPT = ELEMENT_ELEMENTS | {
        "sequence",
        "additionalInstruction",
        "patientInstruction",
        "asNeededCodeableConcept",
        "site",
        "method",
        "maxDosePerPeriod",
        "maxDosePerAdministration",
        "maxDosePerLifetime",
    }
    PRIMITIVES = frozenset({"sequence", "text", "patientInstruction", "asNeededBoolean"})

    text: String1024 | None = None
    timing: Timing | None = None
    as_needed_boolean: StrictBool | None = None
    route: CodeableConcept | None = None
    dose_and_rate: tuple[DoseAndRate, ...] = Field((), max_length=10)

    def dose(self) -> tuple[Decimal, str] | None:
        """The first dose with its unit; None when there is none carehub can keep (no
        unit, a comparator, not a positive amount)."""
        for rate in self.dose_and_rate:
            quantity = rate.dose_quantity
            if quantity is not None and (kept := _dose(quantity)) is not None:
                return kept
        return None

    def carehub_route(self) -> Route | None:
        """The route, when it is coded in SNOMED CT (another coded route is OTHER)."""
        if self.route is None:
            return None
        for coding in self.route.coding:
            if coding.system == SNOMED and coding.code in _ROUTES:
                return _ROUTES[coding.code]
        return Route.OTHER if self.route.coding else None

    def frequency(self) -> str | None:
        """How often, as one line: from the timing ("2 per day", "1 every 6 hours"), else
        the dosage's text when it is short enough; "as needed" when it says so."""
        said = self.text if self.text and len(self.text) <= _FREQUENCY_LENGTH else None
        repeat = None if self.timing is None else self.timing.repeat
        if repeat is not None and repeat.frequency and repeat.period and repeat.period_unit:
            unit = _UNITS[repeat.period_unit]
            period = f"{repeat.period:g}"
            said = (
                f"{repeat.frequency} per {unit}"
                if period == "1"
                else f"{repeat.frequency} every {period} {unit}s"
            )
        if self.as_needed_boolean:
            said = "as needed" if said is None else f"{said}, as needed"
        return said if said is None or len(said) <= _FREQUENCY_LENGTH else None


def _dose(quantity: Quantity) -> tuple[Decimal, str] | None:
    unit = quantity.unit or quantity.code
    if quantity.value is None or quantity.comparator is not None or unit is None:
        return None
    try:
        amount = Decimal(str(quantity.value)).quantize(Decimal("0.0001"))
    except InvalidOperation:
        return None
    if not Decimal(0) < amount <= _LARGEST_DOSE or len(unit) > 32:
        return None
    return amount.normalize(), unit
