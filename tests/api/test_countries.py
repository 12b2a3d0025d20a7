"""Countries over HTTP: codes are assigned ISO 3166-1 alpha-2 codes, each country shows the
rule set it books under, several records may share a code, and patients name an existing
country."""

from __future__ import annotations

import httpx
import pytest

from tests.api.bodies import structured
from tests.support.countries import create_shipped_countries


def field_names(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("code", ["-5", "1e", "00", "ZZ", "QZ"])
def test_a_code_that_is_no_assigned_iso_code_is_refused_naming_code(
    api: httpx.Client, code: str
) -> None:
    assert "code" in field_names(api.post("/countries", json={"countryId": "x", "code": code}))
    assert api.get("/countries").json()["items"] == []


def test_a_lower_case_code_is_stored_upper_case_with_its_shipped_rule_set(
    api: httpx.Client,
) -> None:
    created = api.post("/countries", json={"countryId": "chile", "code": "cl"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["code"], body["ruleSet"], body["name"]) == ("CL", "CL", "Chile")


def test_a_code_without_a_shipped_rule_set_names_the_default_one(api: httpx.Client) -> None:
    created = api.post("/countries", json={"code": "AR", "name": "Argentina"})
    assert created.status_code == 201, created.text
    assert (created.json()["countryId"], created.json()["ruleSet"]) == ("AR", "default")
    assert api.get("/countries/AR").json()["ruleSet"] == "default"


def test_seed_001s_country_shares_the_shipped_chile_rule_set(api: httpx.Client) -> None:
    create_shipped_countries(api)
    seeded = api.post("/countries", json={"countryId": "002", "name": "CHILE", "code": "CL"})
    assert seeded.status_code == 201, seeded.text
    assert (seeded.json()["ruleSet"], seeded.json()["code"]) == ("CL", "CL")
    listed = {c["countryId"]: c["ruleSet"] for c in api.get("/countries").json()["items"]}
    assert listed == {"002": "CL", "CL": "CL", "CO": "CO", "MX": "MX", "PE": "PE", "US": "US"}
    assert api.get("/countries/CL").json()["countryId"] == "CL"  # the id wins over the code


def test_a_patient_in_an_unknown_country_is_refused_naming_country_id(
    api: httpx.Client,
) -> None:
    create_shipped_countries(api)
    refused = api.post("/patients", json=structured(countryId="ZZZ-nope"))
    assert field_names(refused) == ["countryId"]
    assert api.get("/patients").json()["items"] == []
    created = api.post("/patients", json=structured(countryId="CL"))
    assert created.status_code == 201, created.text


def test_the_openapi_declares_the_refusals(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert "422" in paths["/countries"]["post"]["responses"]
    assert "422" in paths["/patients"]["post"]["responses"]
    schema = api.get("/openapi.json").json()["components"]["schemas"]["CountryRead"]
    assert "ruleSet" in schema["required"]
