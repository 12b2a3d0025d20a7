"""Practitioner and PractitionerRole as carehub takes them in: a doctor's name, license
(the NPI, or carehub's own license identifier), email and phone, and the specialty a role
gives; every other element is named, not kept."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from carehub.fhir.resources.practitioner import LICENSE_SYSTEM
from carehub.fhir.schemas.datatypes import (
    Address,
    CodeableConcept,
    ContactPoint,
    HumanName,
    Identifier,
    Reference,
    chosen_name,
    first_contact,
)
from carehub.fhir.schemas.elements import (
    DOMAIN_RESOURCE_ELEMENTS,
    RESOURCE_PRIMITIVES,
    DomainResource,
)
from carehub.fhir.schemas.errors import read_model
from carehub.fhir.wire import DOCTOR_SYSTEM, NPI_SYSTEM
from carehub.patients import model as patients

# The identifiers carehub keeps as a doctor's license: the NPI, or its own (as it serves).
LICENSE_SYSTEMS = (NPI_SYSTEM, LICENSE_SYSTEM)


class PractitionerIn(DomainResource):
    """A FHIR R4 Practitioner."""

    NOT_KEPT = DOMAIN_RESOURCE_ELEMENTS | {
        "active",
        "gender",
        "birthDate",
        "photo",
        "qualification",
        "communication",
    }
    PRIMITIVES = RESOURCE_PRIMITIVES | {"active", "gender", "birthDate"}

    resource_type: Literal["Practitioner"]
    identifier: tuple[Identifier, ...] = Field((), max_length=20)
    name: tuple[HumanName, ...] = Field((), max_length=10)
    telecom: tuple[ContactPoint, ...] = Field((), max_length=20)
    address: tuple[Address, ...] = Field((), max_length=10)

    def license(self) -> str | None:
        """The identifier carehub keeps as the doctor's license: the first NPI (or
        carehub's own license identifier)."""
        for identifier in self.identifier:
            if identifier.system in LICENSE_SYSTEMS and identifier.value:
                # A doctor's license holds 64 characters: a longer value is no license.
                return identifier.value if len(identifier.value) <= 64 else None
        return None

    def doctor_id(self) -> str | None:
        """The carehub doctor it names by carehub's own identifier (as carehub serves a
        doctor), if any."""
        for identifier in self.identifier:
            if identifier.system == DOCTOR_SYSTEM and identifier.value:
                return identifier.value
        return None

    def display_name(self) -> str | None:
        """The name carehub shows: the official one, else the first usable one."""
        chosen: HumanName | None = chosen_name(self.name)
        if chosen is None:
            return None
        return chosen.text or patients.HumanName.from_parts(chosen.given, chosen.family).text

    def email(self) -> str | None:
        return first_contact(self.telecom, "email", patients.EMAIL.fullmatch)

    def phone(self) -> str | None:
        return first_contact(self.telecom, "phone", patients.PHONE.fullmatch)

    def country_code(self) -> str | None:
        return self.address[0].country if self.address else None


class PractitionerRoleIn(DomainResource):
    """A FHIR R4 PractitionerRole: only its practitioner and specialty are read."""

    NOT_KEPT = DOMAIN_RESOURCE_ELEMENTS | {
        "identifier",
        "active",
        "period",
        "organization",
        "code",
        "location",
        "healthcareService",
        "telecom",
        "availableTime",
        "notAvailable",
        "availabilityExceptions",
        "endpoint",
    }
    PRIMITIVES = RESOURCE_PRIMITIVES | {"active", "availabilityExceptions"}

    resource_type: Literal["PractitionerRole"]
    practitioner: Reference | None = None
    specialty: tuple[CodeableConcept, ...] = Field((), max_length=20)

    def specialty_text(self) -> str | None:
        """The first specialty's text (or its first coding's display), at most 100
        characters, as a doctor's specialty is."""
        for concept in self.specialty:
            text = concept.text or next((c.display for c in concept.coding if c.display), None)
            if text and len(text) <= 100:
                return text
        return None


def read_practitioner(resource: Any) -> PractitionerIn:
    found: PractitionerIn = read_model(PractitionerIn, resource, "Practitioner")
    return found


def read_practitioner_role(resource: Any) -> PractitionerRoleIn:
    found: PractitionerRoleIn = read_model(PractitionerRoleIn, resource, "PractitionerRole")
    return found
