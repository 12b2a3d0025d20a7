"""The FHIR data types the resources carehub takes in (`POST`, `PUT`) are written with.

Strict and bounded: strings are strings (one line, limited), numbers are numbers, and an
element carehub does not name is refused (422 naming it), never dropped unread. Each
model holds only the parts of its type that carehub keeps.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from carehub.kernel.errors import FieldError, Invalid
from carehub.web.text import MANY_LINES, NAME, ONE_LINE
from carehub.web.times import Day

MAX_TEXT = 1_000
_FHIR_ID = r"[A-Za-z0-9\-.]{1,64}"
_REFERENCE = re.compile(rf"(?P<type>[A-Z][A-Za-z]{{1,40}})/(?P<id>{_FHIR_ID})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")


class FhirWrite(BaseModel):
    """A FHIR element taken in: FHIR's camelCase names, anything else refused."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


FhirId = Annotated[str, StringConstraints(pattern=rf"^{_FHIR_ID}$"), ONE_LINE]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64), ONE_LINE]
Uri = Annotated[str, StringConstraints(min_length=1, max_length=255), ONE_LINE]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200), NAME]
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT), MANY_LINES]


def _full_date(value: Any) -> Any:
    # FHIR allows YYYY and YYYY-MM; carehub keeps days, and never guesses one.
    if isinstance(value, str) and _DATE.fullmatch(value):
        return value
    raise PydanticCustomError("fhir_date", "must be a full date (YYYY-MM-DD)")


def _number(value: Any) -> Any:
    # A JSON number only: "500" or true is refused.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise PydanticCustomError("number_type", "must be a number")
    return Decimal(str(value))


def _instant(value: str) -> str:
    if not _INSTANT.fullmatch(value):
        raise PydanticCustomError("fhir_instant", "must be an instant (2030-01-31T09:00:00Z)")
    return value


FullDate = Annotated[Day, BeforeValidator(_full_date)]
Instant = Annotated[str, StringConstraints(max_length=40), ONE_LINE, AfterValidator(_instant)]
PositiveDecimal = Annotated[
    Decimal, BeforeValidator(_number), Field(gt=0, max_digits=12, decimal_places=4)
]


class Meta(FhirWrite):
    """What a client may send back of `meta`: carehub sets both, and reads neither."""

    version_id: FhirId | None = None
    last_updated: Instant | None = None


class Reference(FhirWrite):
    """A literal relative reference, `Type/id`."""

    reference: Annotated[
        str, StringConstraints(max_length=120, pattern=rf"^{_REFERENCE.pattern}$"), ONE_LINE
    ]
    display: Label | None = None

    def id_of(self, field: str, resource_type: str) -> str:
        """The id of the `resource_type` it names (422 on `field` otherwise)."""
        match = _REFERENCE.fullmatch(self.reference)
        if match is None or match["type"] != resource_type:
            raise Invalid(
                f"{field} must reference a {resource_type}",
                errors=[FieldError(field, f"must be a reference to a {resource_type}")],
            )
        return match["id"]


class Coding(FhirWrite):
    system: Uri | None = None
    code: Code | None = None
    display: Label | None = None


class CodeableConcept(FhirWrite):
    coding: Annotated[list[Coding], Field(min_length=1, max_length=5)] | None = None
    text: Label | None = None


class Period(FhirWrite):
    start: FullDate | None = None
    end: FullDate | None = None


class Quantity(FhirWrite):
    value: PositiveDecimal
    unit: Annotated[str, StringConstraints(min_length=1, max_length=32), ONE_LINE]
