"""The base of every FHIR input model, and the primitive types their elements are made of.

A model lists the R4 elements of its type in three groups: the ones carehub keeps are its
typed, bounded fields; the others it accepts unread ("not kept": their names are collected
so the caller can report them); and the modifiers carehub does not understand
(`modifierExtension`, `implicitRules`), which it refuses, since FHIR says a modifier must
never be ignored. A name that is not an R4 element of the type is refused (422).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from carehub.kernel.time_range import FIRST_YEAR, LAST_YEAR, RANGE_TEXT
from carehub.web.text import NAME, ONE_LINE

# The elements every resource, every resource but a Bundle, and every element have.
RESOURCE_ELEMENTS = frozenset({"id", "meta", "language"})
RESOURCE_PRIMITIVES = frozenset({"implicitRules", "language"})
DOMAIN_RESOURCE_ELEMENTS = RESOURCE_ELEMENTS | {"text", "contained", "extension"}
ELEMENT_ELEMENTS = frozenset({"id", "extension"})


_NOT_KEPT_KEY = "carehub:notKept"


class FhirElement(BaseModel):
    """A FHIR type as carehub reads it: kept elements typed, the others named."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, extra="forbid", frozen=True
    )

    # The R4 elements of the type that carehub accepts without reading them.
    NOT_KEPT: ClassVar[frozenset[str]] = ELEMENT_ELEMENTS
    # The R4 primitive elements of the type (kept or not): each may come with `_name`, its
    # id and extensions, which carehub does not keep either.
    PRIMITIVES: ClassVar[frozenset[str]] = frozenset()

    # Filled by the validator below, never from the input: its key cannot be an element
    # name (FHIR's are letters, digits and underscores).
    not_kept_here: tuple[str, ...] = Field((), alias=_NOT_KEPT_KEY)

    @model_validator(mode="wrap")
    @classmethod
    def _set_aside_what_is_not_kept(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if not isinstance(data, dict):
            return handler(data)
        if _NOT_KEPT_KEY in data:
            raise PydanticCustomError("unknown_element", "holds a name that is no FHIR element")
        kept: dict[str, Any] = {}
        not_kept: list[str] = []
        for name, value in data.items():
            if cls._is_not_kept(name):
                not_kept.append(name)
            else:
                kept[name] = value  # unknown names are left to `extra="forbid"` to refuse
        if not_kept:
            kept[_NOT_KEPT_KEY] = tuple(not_kept)
        return handler(kept)

    @classmethod
    def _is_not_kept(cls, name: str) -> bool:
        if name in cls.NOT_KEPT:
            return True
        return name.startswith("_") and name[1:] in cls.PRIMITIVES

    def not_kept(self) -> list[str]:
        """The names of the elements given but not kept, nested ones as dotted paths."""
        names = list(self.not_kept_here)
        for field, info in type(self).model_fields.items():
            prefix = info.alias or field
            for child in _elements_in(getattr(self, field)):
                names += [f"{prefix}.{name}" for name in child.not_kept()]
        return sorted(set(names))


def _elements_in(value: Any) -> list[FhirElement]:
    if isinstance(value, FhirElement):
        return [value]
    if isinstance(value, tuple | list):
        return [v for v in value if isinstance(v, FhirElement)]
    return []


def _refuse_modifier(value: Any) -> Any:
    raise PydanticCustomError(
        "refused_modifier", "is a modifier carehub does not understand, so it cannot be ignored"
    )


# A modifier element carehub does not understand (`modifierExtension`, `implicitRules`):
# present, it changes the meaning of what holds it, so it is refused, never ignored.
Refused = Annotated[Any, BeforeValidator(_refuse_modifier)]


# FHIR `string`s, bounded, on one line.
String20 = Annotated[str, StringConstraints(min_length=1, max_length=20), ONE_LINE]
String32 = Annotated[str, StringConstraints(min_length=1, max_length=32), ONE_LINE]
String64 = Annotated[str, StringConstraints(min_length=1, max_length=64), ONE_LINE]
String100 = Annotated[str, StringConstraints(min_length=1, max_length=100), ONE_LINE]
String200 = Annotated[str, StringConstraints(min_length=1, max_length=200), ONE_LINE]
String256 = Annotated[str, StringConstraints(min_length=1, max_length=256), ONE_LINE]
String500 = Annotated[str, StringConstraints(min_length=1, max_length=500), ONE_LINE]
String1024 = Annotated[str, StringConstraints(min_length=1, max_length=1024), ONE_LINE]
# A person's or a place's name, or a part of one: no bidirectional controls either.
Name100 = Annotated[str, StringConstraints(min_length=1, max_length=100), NAME]
Name200 = Annotated[str, StringConstraints(min_length=1, max_length=200), NAME]


# FHIR `code`: no leading, trailing or repeated whitespace.
Code = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\s]+( [^\s]+)*$"), ONE_LINE
]
# FHIR `uri`, as systems and references use it.
Uri = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=r"^\S+$"), ONE_LINE]
# FHIR `id`.
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9\-.]{1,64}$"), ONE_LINE]

_DATE = re.compile(
    r"(?P<year>[0-9]{4})(-(?P<month>0[1-9]|1[0-2])(-(?P<day>0[1-9]|[12][0-9]|3[01]))?)?"
)
_TIME = (
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?"
    r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)
_DATE_TIME = re.compile(_DATE.pattern + f"({_TIME})?")


def _in_years(value: str) -> str:
    if not FIRST_YEAR <= int(value[:4]) <= LAST_YEAR:
        raise PydanticCustomError("date_range", f"must be {RANGE_TEXT}")
    found = _DATE.match(value)
    if found is not None and found["day"] is not None:
        try:  # the pattern lets 31 days through in every month, and 29 in every February
            date(int(found["year"]), int(found["month"]), int(found["day"]))
        except ValueError:
            raise PydanticCustomError("fhir_date", "is not a day of the calendar") from None
    return value


def _matching(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise PydanticCustomError("fhir_date", f"is not a FHIR {what}")
        return value

    return AfterValidator(check)


# FHIR `date`: YYYY, YYYY-MM or YYYY-MM-DD, within carehub's years.
FhirDate = Annotated[
    str,
    StringConstraints(max_length=10),
    ONE_LINE,
    _matching(_DATE, "date (YYYY, YYYY-MM or YYYY-MM-DD)"),
    AfterValidator(_in_years),
]
# FHIR `dateTime`: a date, or a date and a time with its offset.
FhirDateTime = Annotated[
    str,
    StringConstraints(max_length=40),
    ONE_LINE,
    _matching(_DATE_TIME, "dateTime"),
    AfterValidator(_in_years),
]


def _number(value: Any) -> Any:
    # A FHIR decimal is a JSON number: "500" or true is refused.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("number_type", "must be a number")
    return value


FhirDecimal = Annotated[float, BeforeValidator(_number), Field(allow_inf_nan=False)]


class BackboneElement(FhirElement):
    """An element with parts of its own, which may carry modifier extensions."""

    modifier_extension: Refused = None


class Resource(FhirElement):
    """What every resource has, and the modifier carehub refuses: `implicitRules`."""

    NOT_KEPT = RESOURCE_ELEMENTS
    PRIMITIVES = RESOURCE_PRIMITIVES

    implicit_rules: Refused = None


class DomainResource(Resource):
    """A resource other than a Bundle: it may carry modifier extensions."""

    NOT_KEPT = DOMAIN_RESOURCE_ELEMENTS

    modifier_extension: Refused = None


def calendar_date(value: str) -> tuple[date, bool]:
    """A FHIR `date` (or the date of a `dateTime`, as written) as a calendar date, and
    whether it is an estimate: a year or a month alone gives the middle of its span, the
    estimate with the smallest worst-case error."""
    found = _DATE.match(value)
    assert found is not None  # the types above let only such values through
    year, month, day = found["year"], found["month"], found["day"]
    if day is not None:
        return date(int(year), int(month), int(day)), False
    first = date(int(year), int(month or 1), 1)
    after = (
        date(first.year + 1, 1, 1)
        if month is None or first.month == 12
        else date(first.year, first.month + 1, 1)
    )
    return first + (after - first) / 2, True
