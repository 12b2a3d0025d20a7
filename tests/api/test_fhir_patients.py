"""/fhir/R4 over HTTP on every store: the CapabilityStatement, Patient read and search
(every parameter, paging by `next` links on the public origin), and every error as an
OperationOutcome. Each resource served validates with the R4B models of fhir.resources."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient

from tests.api.bodies import structured
from tests.api.conftest import ApiServer

FHIR = "application/fhir+json"
pytestmark = pytest.mark.usefixtures("shipped_countries")


def register(api: httpx.Client, **fields: Any) -> str:
    response = api.post("/patients", json=structured(**fields))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def bundle_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR)
    body = response.json()
    Bundle.model_validate(body)
    return [e["resource"]["id"] for e in body.get("entry", [])]


def outcome(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR)
    body = response.json()
    OperationOutcome.model_validate(body)
    return dict(body)


def test_the_capability_statement_lists_what_is_served(anonymous: httpx.Client) -> None:
    response = anonymous.get("/fhir/R4/metadata")
    assert response.status_code == 200
    statement = response.json()
    CapabilityStatement.model_validate(statement)
    assert statement["fhirVersion"] == "4.0.1"
    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert {"read", "search-type"} <= {i["code"] for i in patient["interaction"]}
    names = {p["name"]: p["type"] for p in patient["searchParam"]}
    assert names["birthdate"] == "date" and names["address-city"] == "string"
    assert "_count" not in names and "_cursor" not in names


def test_a_patient_reads_as_a_valid_fhir_patient(api: httpx.Client) -> None:
    patient_id = register(api)
    response = api.get(f"/fhir/R4/Patient/{patient_id}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR)
    assert response.headers["etag"] == 'W/"1"'
    body = response.json()
    Patient.model_validate(body)
    assert body["name"][0]["family"] == "Quispe Mamani"
    assert body["gender"] == "male" and body["birthDate"] == "1980-03-14"
    assert {"system": "urn:pe:dni", "value": "40123456"} in body["identifier"]
    assert body["managingOrganization"] == {"reference": "Organization/PE"}


def test_a_missing_patient_is_an_operation_outcome(api: httpx.Client) -> None:
    body = outcome(api.get("/fhir/R4/Patient/nobody"), 404)
    assert body["issue"][0]["code"] == "not-found"


def test_no_token_is_an_operation_outcome(anonymous: httpx.Client) -> None:
    body = outcome(anonymous.get("/fhir/R4/Patient"), 401)
    assert body["issue"][0]["code"] == "login"


def test_search_by_each_parameter(api: httpx.Client) -> None:
    jose = register(api)
    ana = register(
        api,
        name={"given": ["Ana"], "family": "Álvarez"},
        sex="female",
        birthDate="1991-07-02",
        email="ana@example.org",
        phoneNumber="+51 911 222 333",
        address={"city": "Cusco", "country": "PE"},
        identifiers=[{"system": "urn:pe:dni", "value": "70000001"}],
    )

    def ids(**params: str) -> list[str]:
        return sorted(bundle_ids(api.get("/fhir/R4/Patient", params=params)))

    assert ids(name="alvar") == [ana]
    assert ids(family="quispe") == [jose]
    assert ids(given="ana") == [ana]
    assert ids(family="ana") == []
    assert ids(birthdate="1991-07-02") == [ana]
    assert ids(birthdate="eq1980-03-14") == [jose]
    assert ids(gender="female") == [ana]
    assert ids(**{"address-city": "cusco"}) == [ana]
    assert ids(identifier="urn:pe:dni|70000001") == [ana]
    assert ids(_id=jose) == [jose]
    assert ids(_id="nobody") == []
    assert ids(name="quispe", gender="female") == []


def test_pages_follow_next_links_on_the_public_origin(api: httpx.Client) -> None:
    made = sorted(register(api, identifiers=[]) for _ in range(5))
    seen: list[str] = []
    response = api.get("/fhir/R4/Patient", params={"family": "quispe", "_count": "2"})
    while True:
        seen += bundle_ids(response)
        links = {link["relation"]: link["url"] for link in response.json()["link"]}
        if "next" not in links:
            break
        assert links["next"].startswith(str(api.base_url).rstrip("/") + "/fhir/R4/Patient?")
        response = api.get(links["next"])
    assert sorted(seen) == made


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"gender": "robot"}, "gender"),
        ({"birthdate": "gt1980"}, "birthdate"),
        ({"identifier": "40123456"}, "identifier"),
        ({"name": "  "}, "name"),
        ({"_count": "0"}, "_count"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_bad_search_parameters_are_refused(
    api: httpx.Client, params: dict[str, str], field: str
) -> None:
    body = outcome(api.get("/fhir/R4/Patient", params=params), 422)
    assert any(field in (i.get("expression") or [""])[0] for i in body["issue"]), body


def test_fhir_links_ignore_a_forged_host(server: ApiServer, api: httpx.Client) -> None:
    register(api)
    response = api.get("/fhir/R4/Patient", headers={"Host": "evil.example"})
    assert all("evil.example" not in link["url"] for link in response.json()["link"])


def test_every_version_reads_back_and_the_history_lists_them(api: httpx.Client) -> None:
    patient_id = register(api)
    changed = api.patch(
        f"/patients/{patient_id}", json={"email": "new@example.org"}, headers={"If-Match": '"v1"'}
    )
    assert changed.status_code == 200, changed.text
    first = api.get(f"/fhir/R4/Patient/{patient_id}/_history/1")
    second = api.get(f"/fhir/R4/Patient/{patient_id}/_history/2")
    assert first.status_code == second.status_code == 200
    assert first.headers["etag"] == 'W/"1"' and second.headers["etag"] == 'W/"2"'
    emails = [
        next(t["value"] for t in r.json()["telecom"] if t["system"] == "email")
        for r in (first, second)
    ]
    assert emails == ["jl.quispe@example.org", "new@example.org"]
    Patient.model_validate(first.json())
    history = api.get(f"/fhir/R4/Patient/{patient_id}/_history")
    assert history.status_code == 200
    body = history.json()
    Bundle.model_validate(body)
    assert body["type"] == "history"
    assert [e["resource"]["meta"]["versionId"] for e in body["entry"]] == ["2", "1"]
    assert [e["request"]["method"] for e in body["entry"]] == ["PUT", "POST"]
    outcome(api.get(f"/fhir/R4/Patient/{patient_id}/_history/3"), 404)
    outcome(api.get(f"/fhir/R4/Patient/{patient_id}/_history/zero"), 422)
    outcome(api.get("/fhir/R4/Patient/nobody/_history"), 404)


def fhir_patient(**fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:pe:dni", "value": "41234567"}],
        "name": [{"use": "official", "family": "Huamán", "given": ["Rosa"]}],
        "gender": "female",
        "birthDate": "1975-05-20",
        "telecom": [{"system": "phone", "value": "+51 999 888 777"}],
        "address": [{"city": "Arequipa", "country": "PE"}],
        "managingOrganization": {"reference": "Organization/PE"},
        **fields,
    }


def post_patient(api: httpx.Client, body: dict[str, Any], **headers: str) -> httpx.Response:
    return api.post(
        "/fhir/R4/Patient", content=orjson.dumps(body), headers={"Content-Type": FHIR, **headers}
    )


def test_create_then_conditional_create_finds_it(api: httpx.Client) -> None:
    created = post_patient(api, fhir_patient(maritalStatus={"text": "Married"}))
    assert created.status_code == 201, created.text
    body = created.json()
    Patient.model_validate(body)
    assert body["name"][0]["family"] == "Huamán" and body["meta"]["versionId"] == "1"
    assert created.headers["location"].endswith(f"/fhir/R4/Patient/{body['id']}/_history/1")
    native = api.get(f"/patients/{body['id']}").json()
    assert native["countryId"] == "PE" and native["address"]["city"] == "Arequipa"
    again = post_patient(api, fhir_patient(), **{"If-None-Exist": "identifier=urn:pe:dni|41234567"})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    told = post_patient(
        api,
        fhir_patient(
            identifier=[{"system": "urn:pe:dni", "value": "41234568"}],
            maritalStatus={"text": "Married"},
        ),
        Prefer="return=OperationOutcome",
    )
    assert told.status_code == 201
    issues = told.json()["issue"]
    assert any("maritalStatus" in i["diagnostics"] for i in issues)


def test_update_replaces_the_demographics(api: httpx.Client) -> None:
    patient_id = post_patient(api, fhir_patient()).json()["id"]
    changed = fhir_patient(
        id=patient_id, gender="other", telecom=[{"system": "email", "value": "r@x.pe"}]
    )
    put = api.put(
        f"/fhir/R4/Patient/{patient_id}",
        content=orjson.dumps(changed),
        headers={"Content-Type": FHIR, "If-Match": 'W/"1"'},
    )
    assert put.status_code == 200, put.text
    assert put.json()["gender"] == "other" and put.json()["meta"]["versionId"] == "2"
    assert put.json()["telecom"] == [{"system": "email", "value": "r@x.pe"}]
    stale = api.put(
        f"/fhir/R4/Patient/{patient_id}",
        content=orjson.dumps(changed),
        headers={"Content-Type": FHIR, "If-Match": 'W/"1"'},
    )
    outcome(stale, 412)
    outcome(
        api.put(
            f"/fhir/R4/Patient/{patient_id}",
            content=orjson.dumps(changed),
            headers={"Content-Type": FHIR},
        ),
        428,
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (fhir_patient(resourceType="Observation"), 422),
        (fhir_patient(nickname="Rosi"), 422),
        (fhir_patient(modifierExtension=[{"url": "urn:x", "valueBoolean": True}]), 422),
        (fhir_patient(birthDate="1975-13-40"), 422),
        (fhir_patient(managingOrganization={"reference": "Organization/ZZ"}), 422),
        (fhir_patient(name=[{"family": "x" * 5000}]), 422),
    ],
)
def test_bad_patients_are_refused_and_nothing_is_stored(
    api: httpx.Client, body: dict[str, Any], status: int
) -> None:
    outcome(post_patient(api, body), status)
    assert api.get("/patients", params={"identifier": "urn:pe:dni|41234567"}).json()["items"] == []
