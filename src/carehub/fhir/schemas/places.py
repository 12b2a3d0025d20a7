"""Organization and Location: carehub's organizations are its countries, so these are
read only for the country their address names (and the identifiers references use)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from carehub.fhir.schemas.datatypes import Address, Identifier
from carehub.fhir.schemas.elements import (
    DOMAIN_RESOURCE_ELEMENTS,
    RESOURCE_PRIMITIVES,
    DomainResource,
)
from carehub.fhir.schemas.errors import read_model


class OrganizationIn(DomainResource):
    """A FHIR R4 Organization."""

    NOT_KEPT = DOMAIN_RESOURCE_ELEMENTS | {
        "active",
        "type",
        "name",
        "alias",
        "telecom",
        "partOf",
        "contact",
        "endpoint",
    }
    PRIMITIVES = RESOURCE_PRIMITIVES | {"active", "name", "alias"}

    resource_type: Literal["Organization"]
    identifier: tuple[Identifier, ...] = Field((), max_length=20)
    address: tuple[Address, ...] = Field((), max_length=10)

    def country_code(self) -> str | None:
        return self.address[0].country if self.address else None


class LocationIn(DomainResource):
    """A FHIR R4 Location."""

    NOT_KEPT = DOMAIN_RESOURCE_ELEMENTS | {
        "status",
        "operationalStatus",
        "name",
        "alias",
        "description",
        "mode",
        "type",
        "telecom",
        "physicalType",
        "position",
        "managingOrganization",
        "partOf",
        "hoursOfOperation",
        "availabilityExceptions",
        "endpoint",
    }
    PRIMITIVES = RESOURCE_PRIMITIVES | {
        "status",
        "name",
        "alias",
        "description",
        "mode",
        "availabilityExceptions",
    }

    resource_type: Literal["Location"]
    identifier: tuple[Identifier, ...] = Field((), max_length=20)
    address: Address | None = None

    def country_code(self) -> str | None:
        return None if self.address is None else self.address.country


def read_organization(resource: Any) -> OrganizationIn:
    found: OrganizationIn = read_model(OrganizationIn, resource, "Organization")
    return found


def read_location(resource: Any) -> LocationIn:
    found: LocationIn = read_model(LocationIn, resource, "Location")
    return found
