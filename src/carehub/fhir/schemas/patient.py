"""Patient as carehub takes it in: a name, a birth date, a gender, a phone and an email,
an address and the identifiers (`PatientDetails`); every other element is named, not kept.

Shared by the importer and by the `/fhir/R4/Patient` routes (`patient_details_of`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool

from carehub.fhir.schemas.datatypes import (
    Address,
    ContactPoint,
    HumanName,
    Identifier,
    Reference,
    chosen_name,
    first_contact,
)
from carehub.fhir.schemas.elements import (
    DOMAIN_RESOURCE_ELEMENTS,
    ELEMENT_ELEMENTS,
    RESOURCE_PRIMITIVES,
    BackboneElement,
    DomainResource,
    FhirDate,
    calendar_date,
)
from carehub.fhir.schemas.errors import read_model
from carehub.fhir.wire import MRN_SYSTEM
from carehub.kernel.errors import FieldError, Invalid
from carehub.patients import model
from carehub.patients.model import PatientDetails, Sex


class PatientLink(BackboneElement):
    NOT_KEPT = ELEMENT_ELEMENTS
    PRIMITIVES = frozenset({"type"})

    other: Reference
    type: Literal["replaced-by", "replaces", "refer", "seealso"]


class PatientIn(DomainResource):
    """A FHIR R4 Patient."""

    NOT_KEPT = DOMAIN_RESOURCE_ELEMENTS | {
        "deceasedBoolean",
        "deceasedDateTime",
        "maritalStatus",
        "multipleBirthBoolean",
        "multipleBirthInteger",
        "photo",
        "contact",
        "communication",
        "generalPractitioner",
        "managingOrganization",
    }
    PRIMITIVES = RESOURCE_PRIMITIVES | {
        "active",
        "gender",
        "birthDate",
        "deceasedBoolean",
        "deceasedDateTime",
        "multipleBirthBoolean",
        "multipleBirthInteger",
    }

    resource_type: Literal["Patient"]
    identifier: tuple[Identifier, ...] = Field((), max_length=20)
    # A modifier: an inactive record is not one to take in.
    active: StrictBool | None = None
    name: tuple[HumanName, ...] = Field((), max_length=10)
    telecom: tuple[ContactPoint, ...] = Field((), max_length=20)
    gender: Literal["male", "female", "other", "unknown"] | None = None
    birth_date: FhirDate | None = None
    address: tuple[Address, ...] = Field((), max_length=10)
    # A modifier: a record replaced by another is not one to take in.
    link: tuple[PatientLink, ...] = Field((), max_length=10)

    def country_code(self) -> str | None:
        """The country its (first) address names, as written."""
        return self.address[0].country if self.address else None

    def details(self) -> tuple[PatientDetails, list[str]]:
        """carehub's details of this patient, and the elements it leaves out."""
        self._check_current()
        not_kept = self.not_kept()
        name = _name(chosen_name(self.name))
        if name is None:
            raise Invalid(
                "The Patient has no name carehub can keep",
                errors=[FieldError("name", "needs a name with text, a family or a given name")],
            )
        if len(self.name) > 1:
            not_kept.append("name (all but one)")
        born, estimated = (
            (None, False) if self.birth_date is None else calendar_date(self.birth_date)
        )
        phone = first_contact(self.telecom, "phone", model.PHONE.fullmatch)
        email = first_contact(self.telecom, "email", model.EMAIL.fullmatch)
        if len(self.telecom) > (phone is not None) + (email is not None):
            not_kept.append("telecom (all but a phone and an email)")
        if len(self.address) > 1:
            not_kept.append("address (all but the first)")
        identifiers = _identifiers(self.identifier)
        if len(identifiers) < len(self.identifier):
            not_kept.append("identifier (carehub's MRN, without a system and a value, or repeated)")
        details = PatientDetails(
            name=name,
            birth_date=born,
            birth_date_estimated=estimated,
            sex=None if self.gender is None else Sex(self.gender),
            email=email,
            phone=phone,
            address=_address(self.address[0]) if self.address else None,
            identifiers=identifiers,
        )
        return details, sorted(set(not_kept))

    def _check_current(self) -> None:
        if self.active is False:
            raise Invalid(
                "An inactive Patient record is not taken in",
                errors=[FieldError("active", "carehub takes in active patient records only")],
            )
        for index, link in enumerate(self.link):
            if link.type == "replaced-by":
                raise Invalid(
                    "A Patient record replaced by another is not taken in",
                    errors=[FieldError(f"link[{index}].type", "the record was replaced")],
                )


def read_patient(resource: Any) -> PatientIn:
    """A Patient resource, validated; Invalid naming every element in error otherwise."""
    patient: PatientIn = read_model(PatientIn, resource, "Patient")
    return patient


def patient_details_of(resource: Any) -> tuple[PatientDetails, list[str]]:
    """carehub's details of a Patient resource and the names of the elements not kept;
    Invalid (a 422) when it is not a strict, bounded R4 Patient carehub can keep."""
    return read_patient(resource).details()


def _name(chosen: HumanName | None) -> model.HumanName | None:
    if chosen is None:
        return None
    parts = model.HumanName.from_parts(chosen.given, chosen.family)
    if chosen.text:
        return model.HumanName(text=chosen.text, given=parts.given, family=parts.family)
    return parts


def _identifiers(identifiers: tuple[Identifier, ...]) -> tuple[model.Identifier, ...]:
    """The external identifiers, each once. An MRN of carehub's own system (as carehub
    serves a record) is carehub's to give, never an external identifier."""
    kept: dict[tuple[str, str], model.Identifier] = {}
    for identifier in identifiers:
        system = identifier.system or ""
        if system == MRN_SYSTEM or system.startswith(f"{MRN_SYSTEM}:"):
            continue
        if identifier.system and identifier.value:
            key = (identifier.system, identifier.value)
            kept.setdefault(key, model.Identifier(*key))
    return tuple(kept.values())


def _address(address: Address) -> model.Address:
    return model.Address(
        text=address.text,
        lines=address.line,
        city=address.city,
        district=address.district,
        state=address.state,
        postal_code=address.postal_code,
        country=address.country,
    )
