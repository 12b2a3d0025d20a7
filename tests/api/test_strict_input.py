"""Input is taken as sent or refused: unknown query parameters, coerced types, loose dates
and unsafe text all answer 422 naming what was wrong, and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.api.bodies import structured
from tests.api.conftest import ApiServer
from tests.api.scheduling_world import add_country


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


def post_json(api: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    """POST `body` as ASCII JSON, so that a lone surrogate travels as its escape."""
    headers = {"Content-Type": "application/json"}
    return api.post(path, content=json.dumps(body), headers=headers)


def count(api: httpx.Client) -> int:
    return len(api.get("/patients?includeInactive=true&limit=200").json()["items"])


# --- unknown query parameters ---------------------------------------------------------------


def test_an_unknown_query_parameter_is_422_naming_it_not_every_patient(api: httpx.Client) -> None:
    api.post("/patients", json=structured())
    response = api.get("/patients?q=garcia")
    assert names(response) == ["q"]
    assert response.json()["errors"][0]["message"] == "is not a known parameter"
    assert "items" not in response.json()


def test_a_misspelt_filter_is_named_and_each_unknown_name_once(api: httpx.Client) -> None:
    response = api.get("/patients?cuntryId=PE&limit=5&q=a&q=b&includeInactive=true")
    assert names(response) == ["cuntryId", "q"]


@pytest.mark.parametrize(
    "path",
    [
        "/patients?countryid=PE",
        "/doctors?countryId=PE&specialism=cardio",
        "/appointments?patient=pt-1",
        "/audit?actor=someone",
        "/users?role=admin",
        "/countries?x=1",
        "/events/dead-letters?consumerName=a",
        "/webhooks?x=1",
        "/health/live?x=1",
        "/patients/pt-1?fields=all",
    ],
)
def test_every_route_refuses_unknown_query_parameters(api: httpx.Client, path: str) -> None:
    assert names(api.get(path)) == [path.rsplit("&", 1)[-1].split("?")[-1].split("=")[0]]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/patients?name=a%00b", "name"),
        ("/patients?city=Li%0Ama", "city"),
        ("/patients?identifier=urn%1B|1", "identifier"),
        ("/doctors?countryId=P%00E", "countryId"),
        ("/audit?action=read%00", "action"),
        ("/patients/a%00b", "patient_id"),
        ("/patients/pt%0D1/files", "patient_id"),
    ],
)
def test_query_and_path_values_refuse_control_characters(
    api: httpx.Client, path: str, field: str
) -> None:
    response = api.get(path)
    assert names(response) == [field]
    assert response.json()["errors"][0]["message"] == "must be one line without control characters"


@pytest.mark.usefixtures("shipped_countries")
def test_declared_parameters_and_their_aliases_still_work(api: httpx.Client) -> None:
    api.post("/patients", json=structured())
    response = api.get("/patients?countryId=PE&includeInactive=true&limit=5&birthDate=1980-03-14")
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == 1
    since = "2000-01-01T00:00:00Z"
    assert api.get(f"/audit?from={since}&to=2199-01-01T00:00:00%2B05:00").status_code == 200


def test_every_operation_declares_its_422_problem(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        # Under the FHIR base, every problem is an OperationOutcome.
        if ("application/fhir+json" if path.startswith("/fhir/") else "application/problem+json")
        not in operation["responses"].get("422", {}).get("content", {})
    ]
    assert missing == []


# --- strict types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"age": True}, "age"),
        ({"age": "85"}, "age"),
        ({"age": 85.5}, "age"),
        ({"countryId": 51}, "countryId"),
        ({"email": False}, "email"),
        ({"allergies": [1]}, "allergies[0]"),
    ],
)
def test_patient_bodies_are_not_coerced(
    api: httpx.Client, override: dict[str, Any], field: str
) -> None:
    body = structured(**override)
    if "age" in override:
        del body["birthDate"]
    assert field in names(api.post("/patients", json=body))
    assert count(api) == 0


def test_flag_and_number_fields_elsewhere_are_not_coerced(api: httpx.Client) -> None:
    country = {"code": "ZZ", "name": "Zedland", "rules": {"slotMinutes": "30"}}
    assert names(api.post("/countries", json=country)) == ["rules.slotMinutes"]
    doctor = {"name": "Dr. Bool", "countryId": "PE", "slotMinutes": True}
    assert "slotMinutes" in names(api.post("/doctors", json=doctor))
    presign = {"filename": "a.jpg", "mimeType": "image/jpeg", "kind": "doc", "docType": "preop"}
    bad = api.post("/patients/pt-1/files/presign-upload", json={**presign, "replaceOldest": 1})
    assert names(bad) == ["replaceOldest"]
    assert names(api.post("/appointments/a-1/cancel", json={"override": "true"})) == ["override"]


@pytest.mark.usefixtures("shipped_countries")
def test_seed_body_still_works_as_before(api: httpx.Client) -> None:
    response = api.post("/patients", json=structured(age=41, birthDate=None))
    assert response.status_code == 201, response.text


# --- query dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/appointments?to=0.5", "to"),
        ("/appointments?from=1700000000", "from"),
        ("/appointments?from=2030-01-01", "from"),
        ("/audit?to=0.5", "to"),
        ("/audit?from=2030-01-01T10:00:00", "from"),
        ("/audit?from=2030-01-01T10:00Z", "from"),
        ("/patients?birthDate=0", "birthDate"),
        ("/patients?birthDate=19800314", "birthDate"),
        ("/patients?birthDate=1980-03-14T00:00:00", "birthDate"),
        ("/analytics/daily?metric=appointments&from=0&to=2030-01-01", "from"),
    ],
)
def test_query_dates_and_times_are_rfc_3339_only(api: httpx.Client, path: str, field: str) -> None:
    assert names(api.get(path)) == [field]


# --- text ---------------------------------------------------------------------------------

NUL, ESC, DEL, C1 = "\x00", "\x1b", "\x7f", "\x85"
RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"


@pytest.mark.parametrize("bad", [NUL, ESC, DEL, C1, "\n", "\r", "\t", "\u2028", "\ud800"])
def test_single_line_patient_fields_refuse_control_characters(api: httpx.Client, bad: str) -> None:
    for override, field in (
        ({"name": {"given": [f"Jo{bad}se"], "family": "Q"}}, "name.given[0]"),
        ({"name": f"Jose {bad}Quispe"}, "name"),
        ({"address": {"city": f"Li{bad}ma"}}, "address.city"),
        ({"address": {"postalCode": f"150{bad}46"}}, "address.postalCode"),
        ({"identifiers": [{"system": "urn:pe:dni", "value": f"40{bad}1"}]}, "identifiers[0].value"),
        ({"email": f"a{bad}@example.org"}, "email"),
    ):
        response = post_json(api, "/patients", structured(**override))
        assert field in names(response), (bad, field)
    assert count(api) == 0


@pytest.mark.parametrize("bidi", [RLO, "\u202a", LRI, PDI])
def test_names_refuse_bidirectional_overrides(api: httpx.Client, bidi: str) -> None:
    body = structured(name={"given": ["Ana"], "family": f"Ro{bidi}sa"})
    assert "name.family" in names(api.post("/patients", json=body))
    doctor = {"name": f"Dr. {bidi}Who", "countryId": "PE"}
    assert "name" in names(api.post("/doctors", json=doctor))
    country = {"code": "ZZ", "name": f"Zed{bidi}land"}
    assert names(api.post("/countries", json=country)) == ["name"]
    presign = {
        "filename": f"scan{bidi}gpj.exe",
        "mimeType": "image/jpeg",
        "kind": "doc",
        "docType": "preop",
    }
    assert names(api.post("/patients/pt-1/files/presign-upload", json=presign)) == ["filename"]


def test_other_bodies_refuse_control_characters(api: httpx.Client, server: ApiServer) -> None:
    assert "name" in names(api.post("/doctors", json={"name": f"Dr{NUL}", "countryId": "PE"}))
    assert names(api.post("/countries", json={"code": "ZZ", "name": "Zed\nland"})) == ["name"]
    signup = {
        "email": "new@example.org",
        "password": "a long enough password",
        "countryId": "PE",
        "name": {"given": ["Eve"], "family": f"Mal{ESC}[2Jlory"},
    }
    response = httpx.post(f"{server.base_url}/auth/signup", json=signup, timeout=30)
    assert names(response) == ["name.family"]
    presign = {
        "filename": "scan\r\n.jpg",
        "mimeType": "image/jpeg",
        "kind": "doc",
        "docType": "preop",
    }
    assert names(api.post("/patients/pt-1/files/presign-upload", json=presign)) == ["filename"]
    cancel = api.post("/appointments/a-1/cancel", json={"reason": f"ill{NUL}"})
    assert names(cancel) == ["reason"]
    user = {"email": f"x{NUL}@example.org", "role": "staff", "password": "long enough pass"}
    assert names(api.post("/users", json=user)) == ["email"]


def test_multi_line_text_keeps_new_lines_and_tabs(api: httpx.Client) -> None:
    # A reason may span lines; the appointment is missing, so the body was accepted.
    response = api.post("/appointments/a-1/cancel", json={"reason": "ill\n\tfever"})
    assert response.status_code == 404, response.text


@pytest.mark.usefixtures("shipped_countries")
def test_text_is_stored_in_nfc(api: httpx.Client) -> None:
    decomposed = "Jose\u0301 Nun\u0303ez"
    body = structured(name={"given": [decomposed.split()[0]], "family": decomposed.split()[1]})
    created = api.post("/patients", json=body)
    assert created.status_code == 201, created.text
    read = api.get(f"/patients/{created.json()['id']}").json()
    assert read["name"]["given"] == ["Jos\u00e9"]
    assert read["name"]["family"] == "Nu\u00f1ez"
    country = add_country(api, "ES", name="Espan\u0303a")
    assert country["name"] == "Espa\u00f1a"
