"""A country as an Organization (the provider that runs carehub's clinics there) and as
a Location (its clinics, taken together as one site). Both have the country's id."""

from __future__ import annotations

from typing import Any

from carehub.countries.model import Country
from carehub.fhir.resources.weekly_hours import weekly_times
from carehub.fhir.wire import COUNTRY_SYSTEM, meta, reference

_PROVIDER = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/organization-type",
            "code": "prov",
            "display": "Healthcare Provider",
        }
    ]
}
_SITE = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
            "code": "si",
            "display": "Site",
        }
    ]
}


def organization_resource(country: Country) -> dict[str, Any]:
    """The country as an Organization: identifier, name, ISO code as its address."""
    return {
        "resourceType": "Organization",
        "id": country.id,
        "meta": meta(country.version, country.updated_at),
        "identifier": [{"system": COUNTRY_SYSTEM, "value": country.id}],
        "active": True,
        "type": [_PROVIDER],
        "name": country.name,
        "address": [{"country": country.code}],
    }


def location_resource(country: Country) -> dict[str, Any]:
    """The country's clinics as one Location, open during its business hours."""
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": country.id,
        "meta": meta(country.version, country.updated_at),
        "identifier": [{"system": COUNTRY_SYSTEM, "value": country.id}],
        "status": "active",
        "name": country.name,
        "physicalType": _SITE,
        "address": {"country": country.code},
        "managingOrganization": reference("Organization", country.id),
    }
    hours = weekly_times(country.rules.business_hours, opening="openingTime", closing="closingTime")
    if hours:
        resource["hoursOfOperation"] = hours
    return resource
