"""FHIR search parameter values: tokens (`system|code`), dates with prefixes, `_count`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import FieldError, Invalid

T = TypeVar("T")

DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_DATES = 2
MAX_DATE_TEXT = 40
# FHIR's comparison prefixes carehub answers (`sa`, `eb` and `ap` are not offered).
PREFIXES = ("eq", "ne", "lt", "gt", "le", "ge")
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})")


def invalid(parameter: str, message: str) -> Invalid:
    """The error of one search parameter, named as the client sent it."""
    return Invalid(f"{parameter} {message}", errors=[FieldError(parameter, message)])


@dataclass(frozen=True)
class Token:
    """`[system]|code`, `code`, or `system|` (any code of the system)."""

    system: str | None
    code: str | None

    @classmethod
    def parse(cls, parameter: str, value: str) -> Token:
        if "|" not in value:
            return cls(system=None, code=_required(parameter, value))
        system, _, code = value.partition("|")
        return cls(system=system or None, code=code or None)


@dataclass(frozen=True)
class DateRange:
    """A date search as a half-open range of instants, with the prefix's comparison:
    `ge2030-01` is every instant from 2030-01-01T00:00Z on."""

    prefix: str
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, parameter: str, value: str) -> DateRange:
        prefix = value[:2] if value[:2] in PREFIXES else "eq"
        text = value[2:] if value[:2] in PREFIXES else value
        if value[:2].isalpha() and value[:2] not in PREFIXES:
            raise invalid(parameter, f"prefix must be one of {', '.join(PREFIXES)}")
        start, end = _period(parameter, text)
        return cls(prefix=prefix, start=start, end=end)

    def admits(self, moment: datetime) -> bool:
        """Whether an instant meets the search (FHIR's rules for a value with no width)."""
        match self.prefix:
            case "eq":
                return self.start <= moment < self.end
            case "ne":
                return not self.start <= moment < self.end
            case "lt":
                return moment < self.start
            case "le":
                return moment < self.end
            case "gt":
                return moment >= self.end
            case _:  # ge
                return moment >= self.start

    def admits_day(self, day: date) -> bool:
        """Whether a whole day meets the search (FHIR's rules for a value with a width:
        `eq` contains it, `ge` and `gt` reach it from below, `le` and `lt` from above)."""
        start = datetime.combine(day, time(), UTC)
        end = start + timedelta(days=1)
        within = self.start <= start and end <= self.end
        match self.prefix:
            case "eq":
                return within
            case "ne":
                return not within
            case "lt":
                return start < self.start
            case "le":
                return start < self.end
            case "gt":
                return end > self.end
            case _:  # ge
                return end > self.start

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The half-open window `[since, until)` an index can be asked for (None: open);
        `ne` asks for everything and is checked with `admits`."""
        return {
            "eq": (self.start, self.end),
            "lt": (None, self.start),
            "le": (None, self.end),
            "gt": (self.end, None),
            "ge": (self.start, None),
        }.get(self.prefix, (None, None))


def reference_id(parameter: str, value: str, resource_type: str) -> str:
    """The id a reference parameter names, sent as `Type/id` or as the bare `id`."""
    kind, slash, resource_id = value.rpartition("/")
    if slash and kind != resource_type:
        raise invalid(parameter, f"must name a {resource_type} ({resource_type}/id or id)")
    if not _ID.fullmatch(resource_id):
        raise invalid(parameter, "is not a FHIR id")
    return resource_id


def searched_patient(actor: Actor, value: str | None) -> str:
    """The patient a search of the clinical record is about: the `patient` parameter, or
    for a patient searching, their own record (required of everyone else)."""
    if value is not None:
        return reference_id("patient", value, "Patient")
    if actor.role is Role.PATIENT and actor.patient_id is not None:
        return actor.patient_id
    raise invalid("patient", "is required: a search of the clinical record is one patient's")


def codes(parameter: str, value: str, known: Mapping[str, T]) -> list[T]:
    """The codes of a token parameter (`a,b` is either), each one of `known`."""
    found = []
    for code in value.split(","):
        if code not in known:
            raise invalid(parameter, f"must be one of {', '.join(known)}")
        found.append(known[code])
    return list(dict.fromkeys(found))


def date_ranges(parameter: str, values: Sequence[str] | None) -> list[DateRange]:
    """A date parameter sent once, or twice to bound both ends."""
    if not values:
        return []
    if len(values) > MAX_DATES or any(len(v) > MAX_DATE_TEXT for v in values):
        raise invalid(parameter, f"is sent at most {MAX_DATES} times, each a date or date-time")
    return [DateRange.parse(parameter, value) for value in values]


def count_of(value: int | None) -> int:
    """`_count`: at most MAX_COUNT a page (more is not an error in FHIR: it is capped)."""
    if value is None:
        return DEFAULT_COUNT
    if value < 1:
        raise invalid("_count", "must be at least 1")
    return min(value, MAX_COUNT)


def _required(parameter: str, value: str) -> str:
    if not value:
        raise invalid(parameter, "needs a value")
    return value


def _period(parameter: str, text: str) -> tuple[datetime, datetime]:
    if _DATE_TIME.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise invalid(parameter, "is not a valid date-time") from exc
        width = timedelta(seconds=1) if ":" in text[14:] else timedelta(minutes=1)
        if not 1 <= moment.year <= 9998:
            raise invalid(parameter, "must be a year from 0001 to 9998")
        return moment, moment + width
    match = _DATE.fullmatch(text)
    if match is None:
        raise invalid(parameter, "must be a date (YYYY, YYYY-MM, YYYY-MM-DD) or a date-time")
    year, month, day = match.group(1), match.group(2), match.group(3)
    if not 1 <= int(year) <= 9998:  # the day after the last has to exist too
        raise invalid(parameter, "must be a year from 0001 to 9998")
    try:
        first = date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise invalid(parameter, "is not a valid date") from exc
    if day:
        last = first + timedelta(days=1)
    elif month:
        last = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    else:
        last = date(first.year + 1, 1, 1)
    utc = UTC
    return datetime.combine(first, time(), utc), datetime.combine(last, time(), utc)


def date_sort(value: str | None) -> None:
    """`_sort`: results come in ascending date order, the only order carehub offers."""
    if value is not None and value != "date":
        raise invalid("_sort", "only date (ascending) is offered")


def includes(value: list[str] | None, offered: tuple[str, ...]) -> set[str]:
    """`_include` values, each one carehub offers (`Appointment:patient`)."""
    found = set(value or ())
    unknown = found - set(offered)
    if unknown:
        raise invalid("_include", f"offered: {', '.join(offered)}")
    return found
