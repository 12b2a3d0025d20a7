"""Patient request and response bodies, and their mapping to the model."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StrictInt, StringConstraints

from carehub.patients.model import (
    MAX_AGE,
    Address,
    CodedEntry,
    HumanName,
    Identifier,
    Patient,
    PatientChanges,
    PatientDetails,
    Sex,
)
from carehub.patients.service import PatientDraft
from carehub.web.schemas import CursorPage, WireModel
from carehub.web.text import NAME, ONE_LINE

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), ONE_LINE
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), ONE_LINE
]
NameText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NAME
]
ShortName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NAME
]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), ONE_LINE]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), ONE_LINE]


class HumanNameWrite(WireModel):
    """A structured name: given names and a family name."""

    given: list[ShortName] = Field(default_factory=list, max_length=10)
    family: ShortName | None = None


class AddressWrite(WireModel):
    """A structured postal address."""

    lines: list[Text] = Field(default_factory=list, max_length=5)
    city: ShortText | None = None
    district: ShortText | None = None
    state: ShortText | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20), ONE_LINE] | None = None
    country: ShortText | None = None


class IdentifierWire(WireModel):
    """An external identifier, e.g. a national id: `system` (a URI) and `value`."""

    system: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), ONE_LINE
    ]
    value: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), ONE_LINE
    ]


class CodedWrite(WireModel):
    """A condition or allergy: a code in a system (SNOMED CT, ICD-10...) and/or display text."""

    code: Annotated[str, StringConstraints(max_length=64), ONE_LINE] | None = None
    system: Annotated[str, StringConstraints(max_length=256), ONE_LINE] | None = None
    display: Annotated[str, StringConstraints(max_length=256), ONE_LINE] | None = None


NameField = Annotated[
    NameText | HumanNameWrite,
    Field(
        description='A structured name, or one string ("Jorge Moros": the last word is the family).'
    ),
]
AddressField = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), ONE_LINE]
    | AddressWrite,
    Field(description="A structured address, or one line of text."),
]
CodedField = list[Text | CodedWrite]


BIRTH_DATE = f"YYYY-MM-DD, within the last {MAX_AGE} years, not in the future"


class PatientBase(WireModel):
    birth_date: date | None = Field(None, description=BIRTH_DATE)
    sex: Sex | None = None
    email: Email | None = None
    phone_number: Phone | None = None
    identifiers: list[IdentifierWire] = Field(default_factory=list, max_length=20)
    conditions: CodedField = Field(default_factory=list, max_length=200)
    allergies: CodedField = Field(default_factory=list, max_length=200)


class PatientCreate(PatientBase):
    """Register a patient. Seed 001's flat body (`name`, `age`, `address` as text) works too."""

    patient_id: Annotated[str, StringConstraints(min_length=1, max_length=64), ONE_LINE] | None = (
        Field(None, description="Your own id for the patient; a UUIDv7 is generated when absent.")
    )
    country_id: Annotated[str, StringConstraints(min_length=1, max_length=32), ONE_LINE]
    name: NameField
    age: StrictInt | None = Field(
        None,
        description="Age in years, when the birth date is unknown (stored as an estimate).",
    )
    address: AddressField | None = None

    def to_draft(self) -> PatientDraft:
        return PatientDraft(
            patient_id=self.patient_id,
            country_id=self.country_id,
            age=self.age,
            details=PatientDetails(
                name=_name(self.name),
                birth_date=self.birth_date,
                sex=self.sex,
                email=self.email,
                phone=self.phone_number,
                address=None if self.address is None else _address(self.address),
                identifiers=tuple(Identifier(i.system, i.value) for i in self.identifiers),
                conditions=_coded(self.conditions),
                allergies=_coded(self.allergies),
            ),
        )


class PatientUpdate(WireModel):
    """A JSON merge-patch (RFC 7396): fields you send replace the stored ones; null clears."""

    name: NameField | None = None
    birth_date: date | None = Field(None, description=BIRTH_DATE)
    age: StrictInt | None = None
    sex: Sex | None = None
    email: Email | None = None
    phone_number: Phone | None = None
    address: AddressField | None = None
    identifiers: list[IdentifierWire] | None = Field(None, max_length=20)
    conditions: CodedField | None = Field(None, max_length=200)
    allergies: CodedField | None = Field(None, max_length=200)

    def to_changes(self) -> PatientChanges:
        sent = self.model_fields_set
        changes: dict[str, Any] = {}
        if "name" in sent and self.name is not None:
            changes["name"] = _name(self.name)
        if "age" in sent and self.age is not None:
            changes["age"] = self.age
        for field in ("birth_date", "sex", "email"):
            if field in sent:
                changes[field] = getattr(self, field)
        if "phone_number" in sent:
            changes["phone"] = self.phone_number
        if "address" in sent:
            changes["address"] = None if self.address is None else _address(self.address)
        if "identifiers" in sent:
            changes["identifiers"] = tuple(
                Identifier(i.system, i.value) for i in self.identifiers or []
            )
        for field in ("conditions", "allergies"):
            if field in sent:
                changes[field] = _coded(getattr(self, field) or [])
        return PatientChanges(**changes)

    def refused_nulls(self) -> list[str]:
        """Fields that cannot be cleared but were sent as null."""
        return [
            f for f in ("name", "age") if f in self.model_fields_set and getattr(self, f) is None
        ]


class HumanNameRead(WireModel):
    text: str
    given: list[str]
    family: str | None


class AddressRead(WireModel):
    text: str | None
    lines: list[str]
    city: str | None
    district: str | None
    state: str | None
    postal_code: str | None
    country: str | None


class CodedRead(WireModel):
    code: str | None
    system: str | None
    display: str | None


class PatientRead(WireModel):
    """A patient record as the API shows it."""

    id: str
    mrn: str = Field(description="Medical record number, unique per country, with a check digit.")
    country_id: str
    active: bool
    version: int
    name: HumanNameRead
    birth_date: date | None
    birth_date_estimated: bool = Field(
        description="True when the birth date was derived from an age."
    )
    age: int | None
    sex: Sex | None
    email: str | None
    phone_number: str | None
    address: AddressRead | None
    identifiers: list[IdentifierWire]
    conditions: list[CodedRead]
    allergies: list[CodedRead]
    created_at: datetime
    updated_at: datetime


def patient_json(patient: Patient, today: date) -> dict[str, Any]:
    """A patient as `PatientRead` shows it, as plain JSON values (serialised with orjson).

    Building and dumping the pydantic model took a quarter of a list request's time; the
    route keeps `PatientRead` as its documented response model, and the API tests pin
    that both agree.
    """
    d = patient.details
    a = d.address
    return {
        "id": patient.id,
        "mrn": patient.mrn,
        "countryId": patient.country_id,
        "active": patient.active,
        "version": patient.version,
        "name": {"text": d.name.text, "given": d.name.given, "family": d.name.family},
        "birthDate": d.birth_date,
        "birthDateEstimated": d.birth_date_estimated,
        "age": patient.age(today),
        "sex": d.sex,
        "email": d.email,
        "phoneNumber": d.phone,
        "address": None
        if a is None
        else {
            "text": a.text,
            "lines": a.lines,
            "city": a.city,
            "district": a.district,
            "state": a.state,
            "postalCode": a.postal_code,
            "country": a.country,
        },
        "identifiers": [{"system": i.system, "value": i.value} for i in d.identifiers],
        "conditions": [_coded_json(c) for c in d.conditions],
        "allergies": [_coded_json(c) for c in d.allergies],
        "createdAt": patient.created_at,
        "updatedAt": patient.updated_at,
    }


def _coded_json(entry: CodedEntry) -> dict[str, str | None]:
    return {"code": entry.code, "system": entry.system, "display": entry.display}


class PatientPage(CursorPage[PatientRead]):
    """One page of patients, ordered by id."""


def _name(value: str | HumanNameWrite) -> HumanName:
    if isinstance(value, str):
        return HumanName.from_text(value)
    return HumanName.from_parts(tuple(value.given), value.family)


def _address(value: str | AddressWrite) -> Address:
    if isinstance(value, str):
        return Address(text=" ".join(value.split()))
    return Address(
        lines=tuple(value.lines),
        city=value.city,
        district=value.district,
        state=value.state,
        postal_code=value.postal_code,
        country=value.country,
    )


def _coded(values: list[str] | list[str | CodedWrite]) -> tuple[CodedEntry, ...]:
    return tuple(
        CodedEntry(display=v) if isinstance(v, str) else CodedEntry(v.code, v.system, v.display)
        for v in values
    )


class CareAssignmentCreate(WireModel):
    practitioner_id: Annotated[
        str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"), ONE_LINE
    ] = Field(description="The practitioner (doctor) who takes part in the patient's care.")
