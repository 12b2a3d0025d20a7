"""The FHIR data types carehub reads inside resources: identifiers, names, contacts,
addresses, codes, references, quantities and periods. Each keeps what carehub maps and
names the rest; repeating elements are bounded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import Field

from carehub.fhir.schemas.elements import (
    ELEMENT_ELEMENTS,
    Code,
    FhirDateTime,
    FhirDecimal,
    FhirElement,
    Name100,
    Name200,
    String20,
    String32,
    String64,
    String100,
    String200,
    String256,
    String500,
    String1024,
    Uri,
)


class Coding(FhirElement):
    NOT_KEPT = ELEMENT_ELEMENTS | {"version", "userSelected"}
    PRIMITIVES = frozenset({"system", "version", "code", "display", "userSelected"})

    system: Uri | None = None
    code: String64 | None = None
    display: String256 | None = None


class CodeableConcept(FhirElement):
    PRIMITIVES = frozenset({"text"})

    coding: tuple[Coding, ...] = Field((), max_length=20)
    text: String256 | None = None


class Identifier(FhirElement):
    NOT_KEPT = ELEMENT_ELEMENTS | {"use", "type", "period", "assigner"}
    PRIMITIVES = frozenset({"use", "system", "value"})

    system: Uri | None = None
    value: String256 | None = None


class Reference(FhirElement):
    NOT_KEPT = ELEMENT_ELEMENTS | {"type", "display"}
    PRIMITIVES = frozenset({"reference", "type", "display"})

    reference: String1024 | None = None
    identifier: Identifier | None = None


class Period(FhirElement):
    PRIMITIVES = frozenset({"start", "end"})

    start: FhirDateTime | None = None
    end: FhirDateTime | None = None


class HumanName(FhirElement):
    NOT_KEPT = ELEMENT_ELEMENTS | {"prefix", "suffix", "period"}
    PRIMITIVES = frozenset({"use", "text", "family", "given", "prefix", "suffix"})

    use: Literal["usual", "official", "temp", "nickname", "anonymous", "old", "maiden"] | None = (
        None
    )
    text: Name200 | None = None
    family: Name100 | None = None
    given: tuple[Name100, ...] = Field((), max_length=10)


class ContactPoint(FhirElement):
    NOT_KEPT = ELEMENT_ELEMENTS | {"rank", "period"}
    PRIMITIVES = frozenset({"system", "value", "use", "rank"})

    system: Literal["phone", "fax", "email", "pager", "url", "sms", "other"] | None = None
    value: String256 | None = None
    use: Literal["home", "work", "temp", "old", "mobile"] | None = None


class Address(FhirElement):
    NOT_KEPT = ELEMENT_ELEMENTS | {"use", "type", "period"}
    PRIMITIVES = frozenset(
        {"use", "type", "text", "line", "city", "district", "state", "postalCode", "country"}
    )

    text: String500 | None = None
    line: tuple[String200, ...] = Field((), max_length=5)
    city: String100 | None = None
    district: String100 | None = None
    state: String100 | None = None
    postal_code: String20 | None = None
    country: String100 | None = None


class Quantity(FhirElement):
    NOT_KEPT = ELEMENT_ELEMENTS | {"system"}
    PRIMITIVES = frozenset({"value", "comparator", "unit", "system", "code"})

    value: FhirDecimal | None = None
    # A modifier: "< 5 mg" is not a dose of 5 mg, so a dose with one is not kept.
    comparator: Literal["<", "<=", ">=", ">"] | None = None
    unit: String32 | None = None
    code: Code | None = None


# Names carehub does not take a person's name from.
_UNUSABLE_NAMES = frozenset({"old", "anonymous"})


def chosen_name(names: tuple[HumanName, ...]) -> HumanName | None:
    """The name carehub keeps: the official one, else the first usable one."""
    usable = [n for n in names if n.use not in _UNUSABLE_NAMES and (n.text or n.family or n.given)]
    official = [n for n in usable if n.use == "official"]
    return (official or usable)[0] if usable else None


def first_contact(
    telecom: tuple[ContactPoint, ...], system: str, well_formed: Callable[[str], object]
) -> str | None:
    """The first current contact point of a system whose value carehub can keep."""
    for point in telecom:
        current = point.system == system and point.value and point.use != "old"
        if current and point.value and well_formed(point.value):
            return point.value
    return None
