"""The patient aggregate and its rules. Pure Python: no framework, no storage."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import Enum, StrEnum
from typing import Any

from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.text import fold, tokens

# Whole-input patterns: use fullmatch (`$` would also accept a trailing newline).
COUNTRY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
PATIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"\+?[0-9 ()./-]{4,32}")
# The one age limit: birth dates are checked against it too, so that every allowed age
# also gives an allowed (estimated) birth date.
MAX_AGE = 150
# An age alone says the birthday lies somewhere in a year-long window; its middle is
# the estimate with the smallest worst-case error, and it reproduces the given age.
HALF_YEAR = timedelta(days=182)
# The highest version a record can reach: what every store's integer column holds.
MAX_VERSION = 2**31 - 1


class Sex(StrEnum):
    """Administrative sex, as FHIR's AdministrativeGender."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class HumanName:
    """A person's name: the full text as given, and its parts when known."""

    text: str
    given: tuple[str, ...] = ()
    family: str | None = None

    @classmethod
    def from_text(cls, text: str) -> HumanName:
        """Split a single name: the last word is the family name, the others are given."""
        words = text.split()
        if len(words) == 1:
            return cls(text=words[0], given=(), family=words[0])
        return cls(text=" ".join(words), given=tuple(words[:-1]), family=words[-1])

    @classmethod
    def from_parts(cls, given: tuple[str, ...], family: str | None) -> HumanName:
        """Build the text from given names followed by the family name."""
        parts = [*given, *([family] if family else [])]
        return cls(text=" ".join(" ".join(parts).split()), given=given, family=family)

    def search_tokens(self) -> set[str]:
        """Folded words a name-prefix search matches against ("José" -> "jose")."""
        words = set(tokens(self.text))
        for part in (*self.given, self.family or ""):
            words.update(tokens(part))
        return words


@dataclass(frozen=True)
class Address:
    """A postal address; `text` alone when the client sent a single line (seed 001)."""

    text: str | None = None
    lines: tuple[str, ...] = ()
    city: str | None = None
    district: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None

    def display(self) -> str:
        """The whole address as one line, for the contains-search."""
        if self.text:
            return self.text
        parts = [*self.lines, self.district, self.city, self.state, self.postal_code, self.country]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Identifier:
    """An external identifier: a namespace (`system`, usually a URI) and a value."""

    system: str
    value: str


@dataclass(frozen=True)
class CodedEntry:
    """A condition or allergy: a code from a system (SNOMED CT, ICD-10...) and/or text."""

    code: str | None = None
    system: str | None = None
    display: str | None = None

    def search_terms(self) -> set[str]:
        """Folded code and display, which the condition filter matches by prefix."""
        return {fold(v) for v in (self.code, self.display) if v}


@dataclass(frozen=True, kw_only=True)
class PatientDetails:
    """The demographic and clinical summary fields a client sets."""

    name: HumanName
    birth_date: date | None = None
    birth_date_estimated: bool = False
    sex: Sex | None = None
    email: str | None = None
    phone: str | None = None
    address: Address | None = None
    identifiers: tuple[Identifier, ...] = ()
    conditions: tuple[CodedEntry, ...] = ()
    allergies: tuple[CodedEntry, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Patient:
    """A patient record. `version` increases with every change (it is the ETag)."""

    id: str
    mrn: str
    country_id: str
    details: PatientDetails
    active: bool = True
    version: int = 1
    created_at: datetime
    updated_at: datetime

    @property
    def patient_id(self) -> str:
        """Whose record this is (its own id), as the audit trail names it."""
        return self.id

    def age(self, today: date) -> int | None:
        """Completed years on `today`, or None when the birth date is unknown."""
        born = self.details.birth_date
        if born is None:
            return None
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    def revised(self, details: PatientDetails, now: datetime) -> Patient:
        """This patient with new details, one version later."""
        return replace(self, details=details, version=self.version + 1, updated_at=now)

    def deactivated(self, now: datetime) -> Patient:
        """This patient marked inactive; the record itself stays."""
        return replace(self, active=False, version=self.version + 1, updated_at=now)


def birth_date_for_age(age: int, today: date) -> date:
    """An estimated birth date for someone `age` years old today (see HALF_YEAR)."""
    return _years_before(today, age) - HALF_YEAR


def oldest_birth_date(today: date) -> date:
    """The earliest birth date of someone at most MAX_AGE years old today."""
    return _years_before(today, MAX_AGE + 1) + timedelta(days=1)


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a non-leap year
        return today.replace(year=today.year - years, day=28)


def check_patient_id(patient_id: str) -> None:
    """Refuse caller-chosen ids that are not short, URL-safe strings."""
    if not PATIENT_ID.fullmatch(patient_id):
        raise Invalid(
            "patientId is not a valid id",
            errors=[FieldError("patientId", "1-64 letters, digits, '.', '_' or '-'")],
        )


def check_version(version: int) -> None:
    """Refuse version numbers no record can have."""
    if isinstance(version, bool) or not 1 <= version <= MAX_VERSION:
        raise Invalid(
            "version is out of range",
            errors=[FieldError("version", f"must be a whole number 1-{MAX_VERSION}")],
        )


def check_country_id(country_id: str) -> None:
    """Refuse country ids that are not short codes."""
    if not COUNTRY_ID.fullmatch(country_id):
        raise Invalid(
            "countryId is not a valid id",
            errors=[FieldError("countryId", "1-32 letters, digits, '_' or '-'")],
        )


def check_details(details: PatientDetails, today: date) -> None:
    """Apply the record's rules; every failing field is reported at once."""
    errors: list[FieldError] = []
    if not details.name.text.strip():
        errors.append(FieldError("name", "must not be empty"))
    born = details.birth_date
    if born is not None and not oldest_birth_date(today) <= born <= today:
        errors.append(FieldError("birthDate", f"must be within the last {MAX_AGE} years"))
    if details.email is not None and not EMAIL.fullmatch(details.email):
        errors.append(FieldError("email", "is not an email address"))
    if details.phone is not None and not PHONE.fullmatch(details.phone):
        errors.append(FieldError("phoneNumber", "is not a phone number"))
    seen: set[tuple[str, str]] = set()
    for index, identifier in enumerate(details.identifiers):
        if not identifier.system.strip() or not identifier.value.strip():
            errors.append(FieldError(f"identifiers[{index}]", "needs a system and a value"))
        elif (identifier.system, identifier.value) in seen:
            errors.append(FieldError(f"identifiers[{index}]", "is listed twice"))
        seen.add((identifier.system, identifier.value))
    for name, entries in (("conditions", details.conditions), ("allergies", details.allergies)):
        for index, entry in enumerate(entries):
            if not (entry.code or entry.display):
                errors.append(FieldError(f"{name}[{index}]", "needs a code or a display text"))
    if errors:
        raise Invalid("The patient record is not valid", errors=errors)


def check_age(age: int) -> None:
    """Refuse ages no living person has."""
    if not 0 <= age <= MAX_AGE:
        raise Invalid("age is out of range", errors=[FieldError("age", f"must be 0-{MAX_AGE}")])


class Unset(Enum):
    """Marks a field a change request did not mention (unlike None, which clears it)."""

    UNSET = 0


UNSET = Unset.UNSET


@dataclass(frozen=True, kw_only=True)
class PatientChanges:
    """A merge-patch of a patient's details: only mentioned fields change."""

    name: HumanName | Unset = UNSET
    birth_date: date | Unset | None = UNSET
    age: int | Unset = UNSET
    sex: Sex | Unset | None = UNSET
    email: str | Unset | None = UNSET
    phone: str | Unset | None = UNSET
    address: Address | Unset | None = UNSET
    identifiers: tuple[Identifier, ...] | Unset = UNSET
    conditions: tuple[CodedEntry, ...] | Unset = UNSET
    allergies: tuple[CodedEntry, ...] | Unset = UNSET

    def mentioned(self) -> tuple[str, ...]:
        """The fields this change sets (whether or not they end up different)."""
        return tuple(
            name for name in self.__dataclass_fields__ if not isinstance(getattr(self, name), Unset)
        )

    def apply(self, details: PatientDetails, today: date) -> tuple[PatientDetails, tuple[str, ...]]:
        """The details after this change, and the names of the fields that changed."""
        updates: dict[str, Any] = {}
        if not isinstance(self.age, Unset):
            check_age(self.age)
            updates["birth_date"] = birth_date_for_age(self.age, today)
            updates["birth_date_estimated"] = True
        if not isinstance(self.birth_date, Unset):
            updates["birth_date"] = self.birth_date
            updates["birth_date_estimated"] = False
        for name in ("name", "sex", "email", "phone", "address"):
            value = getattr(self, name)
            if not isinstance(value, Unset):
                updates[name] = value
        for name in ("identifiers", "conditions", "allergies"):
            value = getattr(self, name)
            if not isinstance(value, Unset):
                updates[name] = value
        revised = replace(details, **updates)
        changed = tuple(sorted(k for k in updates if getattr(revised, k) != getattr(details, k)))
        return revised, changed
