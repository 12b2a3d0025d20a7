"""A FHIR Patient search, answered by the patient use cases.

Names, identifier, birth date and city are the patient list's own indexed criteria.
Phone and email go through the search index (contact values are exact keys there) and are
then matched exactly. Gender has no index (it would not narrow a search): it is checked
on each page's records, so a page may hold fewer than `_count` matches while `next` goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from carehub.fhir.search_params import Token, invalid
from carehub.kernel.actor import Actor
from carehub.kernel.errors import NotFound
from carehub.kernel.pagination import Page
from carehub.kernel.text import fold, tokens
from carehub.patients.model import MAX_AGE, Patient, Sex, oldest_birth_date
from carehub.patients.ports import PatientFilter
from carehub.patients.search_service import PatientSearchService
from carehub.patients.service import PatientService

MAX_NAME_WORDS = 4


@dataclass(frozen=True, kw_only=True)
class PatientSearch:
    """The parsed parameters: what the index is asked, and what each record must meet."""

    criteria: PatientFilter
    id_: str | None = None
    family: tuple[str, ...] = ()
    given: tuple[str, ...] = ()
    sex: Sex | None = None
    contact: str | None = None
    sent: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls,
        *,
        id_: str | None,
        identifier: str | None,
        name: str | None,
        family: str | None,
        given: str | None,
        birthdate: str | None,
        gender: str | None,
        address_city: str | None,
        phone: str | None,
        email: str | None,
        today: date,
    ) -> PatientSearch:
        """Check every parameter (422 naming it) and combine them."""
        if phone is not None and email is not None:
            raise invalid("email", "cannot be combined with phone")
        names = _words("name", name) + _words("family", family) + _words("given", given)
        if len(names) > MAX_NAME_WORDS:
            raise invalid("name", f"name, family and given hold at most {MAX_NAME_WORDS} words")
        sent = tuple(
            (key, value)
            for key, value in (
                ("_id", id_),
                ("identifier", identifier),
                ("name", name),
                ("family", family),
                ("given", given),
                ("birthdate", birthdate),
                ("gender", gender),
                ("address-city", address_city),
                ("phone", phone),
                ("email", email),
            )
            if value is not None
        )
        city = None if address_city is None else fold(address_city)
        if city == "":
            raise invalid("address-city", "needs a value")
        return cls(
            criteria=PatientFilter(
                name_prefixes=tuple(names),
                identifier=_identifier(identifier),
                birth_date=_birth_date(birthdate, today),
                city=city,
            ),
            id_=id_,
            family=tuple(_words("family", family)),
            given=tuple(_words("given", given)),
            sex=_sex(gender),
            contact=phone or email,
            sent=sent,
        )

    def parameters(self) -> list[tuple[str, str]]:
        """The parameters as sent, for the Bundle's links."""
        return list(self.sent)

    def meets(self, patient: Patient) -> bool:
        """What no index answered: gender, family and given by part, the contact exactly."""
        d = patient.details
        family = tokens(d.name.family or "")
        given = [t for g in d.name.given for t in tokens(g)]
        return (
            self.criteria.matches(patient)
            and (self.id_ is None or patient.id == self.id_)
            and (self.sex is None or d.sex == self.sex)
            and all(any(t.startswith(w) for t in family) for w in self.family)
            and all(any(t.startswith(w) for t in given) for w in self.given)
            and (self.contact is None or _same_contact(self.contact, d.phone, d.email))
        )


async def find_patients(
    search: PatientSearch,
    *,
    actor: Actor,
    patients: PatientService,
    searching: PatientSearchService,
    limit: int,
    cursor: str | None,
) -> Page[Patient]:
    """One page of the patients the actor may see that meet every parameter."""
    if search.id_ is not None:
        if cursor is not None:
            return Page(items=[], next_cursor=None)
        try:
            patient = await patients.get(actor=actor, patient_id=search.id_)
        except NotFound:
            return Page(items=[], next_cursor=None)
        return Page(items=[patient] if search.meets(patient) else [], next_cursor=None)
    if search.contact is not None:
        page = await searching.find(
            actor=actor, q=search.contact, country_id=None, limit=limit, cursor=cursor
        )
    else:
        page = await patients.search(
            actor=actor, criteria=search.criteria, cursor=cursor, limit=limit
        )
    return replace(page, items=[p for p in page.items if search.meets(p)])


def _words(parameter: str, value: str | None) -> list[str]:
    if value is None:
        return []
    words = tokens(value)
    if not words:
        raise invalid(parameter, "needs a value")
    return words


def _identifier(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    token = Token.parse("identifier", value)
    if token.system is None or token.code is None:
        raise invalid("identifier", "must be system|value (both parts)")
    return token.system, token.code


def _birth_date(value: str | None, today: date) -> date | None:
    if value is None:
        return None
    text = value[2:] if value.startswith("eq") else value
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise invalid("birthdate", "must be a full date (YYYY-MM-DD), optionally prefixed eq")
    if not oldest_birth_date(today) <= day <= today:
        raise invalid("birthdate", f"must be within the last {MAX_AGE} years")
    return day


def _sex(value: str | None) -> Sex | None:
    if value is None:
        return None
    try:
        return Sex(value)
    except ValueError:
        raise invalid("gender", "must be male, female, other or unknown") from None


def _same_contact(sought: str, phone: str | None, email: str | None) -> bool:
    if "@" in sought:
        return email is not None and email.casefold() == sought.casefold()
    digits = "".join(c for c in sought if c.isdigit())
    return phone is not None and "".join(c for c in phone if c.isdigit()) == digits
