"""Dates and times as the API accepts them: in the years 1900 to 2200 (see
`carehub.kernel.time_range`), refused with a 422 naming the field otherwise, before any
arithmetic could overflow."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, TypeVar

from pydantic import AfterValidator, AwareDatetime, Field
from pydantic_core import PydanticCustomError

from carehub.kernel.time_range import RANGE_TEXT, in_range
from carehub.web.query import QueryDate, QueryDateTime

_D = TypeVar("_D", date, datetime)


def _within_range(value: _D) -> _D:
    if not in_range(value):
        raise PydanticCustomError("date_range", f"must be {RANGE_TEXT}")
    return value


def _note(text: str) -> str:
    return f"{text} ({RANGE_TEXT})"


# A time in a request body: RFC 3339 with an offset.
Moment = Annotated[
    AwareDatetime,
    AfterValidator(_within_range),
    Field(description=_note("RFC 3339 with an offset")),
]
# A time in a query parameter: RFC 3339 with an offset only (never a number).
QueryMoment = Annotated[QueryDateTime, AfterValidator(_within_range)]
# A calendar date in a query parameter: YYYY-MM-DD only.
QueryDay = Annotated[QueryDate, AfterValidator(_within_range)]
# A calendar date (YYYY-MM-DD), in a body or a query parameter.
Day = Annotated[date, AfterValidator(_within_range)]
