"""Countries as Organization and Location."""

from __future__ import annotations

from carehub.fhir.resources.organization import location_resource, organization_resource
from carehub.fhir.wire import COUNTRY_SYSTEM
from tests.support.fhir_checks import validated
from tests.support.memory_world import NOW, country_record


def test_a_country_is_an_organization_with_its_iso_code_as_address() -> None:
    resource = validated(organization_resource(country_record("PE", NOW)))

    assert resource["id"] == "PE"
    assert resource["identifier"] == [{"system": COUNTRY_SYSTEM, "value": "PE"}]
    assert resource["name"] == "Peru"
    assert resource["address"] == [{"country": "PE"}]
    assert resource["meta"]["versionId"] == "1"


def test_a_countrys_clinics_are_one_location_open_in_business_hours() -> None:
    country = country_record("CO", NOW)

    resource = validated(location_resource(country))

    assert resource["id"] == "CO"
    assert resource["managingOrganization"] == {"reference": "Organization/CO"}
    assert resource["address"] == {"country": "CO"}
    assert resource["physicalType"]["coding"][0]["code"] == "si"
    open_days = {d for hours in resource["hoursOfOperation"] for d in hours["daysOfWeek"]}
    assert open_days == {
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[w.weekday]
        for w in country.rules.business_hours
    }
