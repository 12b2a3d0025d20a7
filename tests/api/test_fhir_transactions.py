"""POST /fhir/R4 on every store: a transaction Bundle is all or nothing, a batch takes each
entry on its own, both answer their response Bundles; a Synthea patient's bundle over HTTP
is found by a FHIR search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
from fhir.resources.R4B.bundle import Bundle

from tests.support.shared_data import shared_data

FHIR = "application/fhir+json"


def post_bundle(api: httpx.Client, bundle: dict[str, Any] | bytes) -> httpx.Response:
    content = bundle if isinstance(bundle, bytes) else orjson.dumps(bundle)
    return api.post("/fhir/R4", content=content, headers={"Content-Type": FHIR})


def patient_entry(uuid: str, dni: str, **fields: Any) -> dict[str, Any]:
    return {
        "fullUrl": f"urn:uuid:{uuid}",
        "resource": {
            "resourceType": "Patient",
            "identifier": [{"system": "urn:pe:dni", "value": dni}],
            "name": [{"family": "Condori", "given": ["Luz"]}],
            "gender": "female",
            "address": [{"city": "Puno", "country": "PE"}],
            **fields,
        },
        "request": {"method": "POST", "url": "Patient"},
    }


def condition_entry(subject: str) -> dict[str, Any]:
    return {
        "fullUrl": "urn:uuid:7d3a1c52-0000-4000-8000-000000000002",
        "resource": {
            "resourceType": "Condition",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
            "code": {
                "coding": [
                    {"system": "http://snomed.info/sct", "code": "73211009", "display": "Diabetes"}
                ]
            },
            "subject": {"reference": subject},
        },
        "request": {"method": "POST", "url": "Condition"},
    }


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def found(api: httpx.Client, dni: str) -> list[dict[str, Any]]:
    response = api.get("/fhir/R4/Patient", params={"identifier": f"urn:pe:dni|{dni}"})
    assert response.status_code == 200, response.text
    return [e["resource"] for e in response.json().get("entry", [])]


def test_a_transaction_writes_a_patient_and_its_condition(api: httpx.Client) -> None:
    uuid = "7d3a1c52-0000-4000-8000-000000000001"
    response = post_bundle(
        api,
        bundle("transaction", patient_entry(uuid, "45678901"), condition_entry(f"urn:uuid:{uuid}")),
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    Bundle.model_validate(answer)
    assert answer["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses == ["201 Created", "201 Created"]
    [patient] = found(api, "45678901")
    assert answer["entry"][0]["response"]["location"] == f"Patient/{patient['id']}"
    conditions = api.get("/fhir/R4/Condition", params={"patient": patient["id"]}).json()
    assert [e["resource"]["code"]["coding"][0]["code"] for e in conditions["entry"]] == ["73211009"]
    again = post_bundle(
        api,
        bundle("transaction", patient_entry(uuid, "45678901"), condition_entry(f"urn:uuid:{uuid}")),
    )
    assert [e["response"]["status"] for e in again.json()["entry"]] == ["200 OK", "200 OK"]
    assert len(found(api, "45678901")) == 1


def test_a_transaction_with_one_bad_entry_writes_nothing(api: httpx.Client) -> None:
    good = patient_entry("7d3a1c52-0000-4000-8000-000000000003", "45678902")
    bad = condition_entry("urn:uuid:7d3a1c52-0000-4000-8000-00000000dead")
    response = post_bundle(api, bundle("transaction", good, bad))
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert found(api, "45678902") == []


def test_a_batch_takes_each_entry_on_its_own(api: httpx.Client) -> None:
    good = patient_entry("7d3a1c52-0000-4000-8000-000000000004", "45678903")
    bad = patient_entry("7d3a1c52-0000-4000-8000-000000000005", "45678904", birthDate="1990-02-30")
    response = post_bundle(api, bundle("batch", good, bad))
    assert response.status_code == 200, response.text
    answer = response.json()
    Bundle.model_validate(answer)
    first, second = (e["response"] for e in answer["entry"])
    assert first["status"] == "201 Created"
    assert second["status"].startswith("422")
    assert second["outcome"]["resourceType"] == "OperationOutcome"
    assert len(found(api, "45678903")) == 1 and found(api, "45678904") == []


def test_a_bundle_that_is_no_bundle_is_refused(api: httpx.Client) -> None:
    for body in (
        b"{",
        b"[]",
        orjson.dumps({"resourceType": "Patient"}),
        orjson.dumps(bundle("searchset")),
    ):
        response = post_bundle(api, body)
        assert response.status_code in (400, 422), response.text
        assert response.json()["resourceType"] == "OperationOutcome"


def test_a_synthea_bundle_over_http(api: httpx.Client) -> None:
    folder: Path = shared_data("synthea", "smart-on-fhir-r4-synthea")
    path = next(folder.glob("Clemente_Kreiger_*.json"))
    response = post_bundle(api, path.read_bytes())
    assert response.status_code == 200, response.text
    patient = orjson.loads(path.read_bytes())["entry"][0]["resource"]
    family = patient["name"][0]["family"]
    search = api.get("/fhir/R4/Patient", params={"family": family}).json()
    assert len(search["entry"]) == 1
