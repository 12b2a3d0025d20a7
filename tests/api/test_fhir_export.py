"""FHIR Bulk Data `$export` over HTTP on every store: kick-off, polling until the manifest,
every file downloaded through its signed link with each line a valid R4B resource; a
country's Group export holds what the native API shows of that country; `_type` and
`_since` narrow it; only admins export (and only the one who asked polls); cancelling
deletes the files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest

from carehub.fhir.wire import instant
from tests.api.clinical_world import new_medication
from tests.api.conftest import ApiServer
from tests.api.scheduling_world import (
    account,
    add_doctor,
    add_patient,
    booked,
    eventually,
    local_slot,
)
from tests.support.fhir_checks import validated

FHIR = "application/fhir+json"
ASYNC = {"Prefer": "respond-async"}
pytestmark = pytest.mark.usefixtures("shipped_countries")


@pytest.fixture
def downloads() -> Iterator[httpx.Client]:
    """A client without a token: the manifest's links are signed, nothing else is needed."""
    with httpx.Client(timeout=30) as client:
        yield client


def kick_off(api: httpx.Client, path: str, **params: str) -> str:
    """Start an export; the status URL it answers with."""
    response = api.get(f"/fhir/R4/{path}", params=params, headers=ASYNC)
    assert response.status_code == 202, response.text
    status_url = response.headers["Content-Location"]
    assert status_url.startswith(str(api.base_url).rstrip("/") + "/fhir/R4/bulkstatus/")
    return status_url


def finished(api: httpx.Client, status_url: str) -> dict[str, Any]:
    """Poll until the export is done; its manifest."""
    answers: list[httpx.Response] = []

    def done() -> bool:
        answers.append(api.get(status_url))
        assert answers[-1].status_code in (200, 202), answers[-1].text
        return answers[-1].status_code == 200

    eventually(done, within=60)
    if len(answers) > 1:
        assert answers[0].headers["Retry-After"] and answers[0].headers["X-Progress"]
    response = answers[-1]
    assert response.headers["content-type"].startswith("application/json")
    assert "Expires" in response.headers
    manifest: dict[str, Any] = response.json()
    assert manifest["requiresAccessToken"] is False and manifest["error"] == []
    return manifest


def resources(downloads: httpx.Client, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every resource of every file, by type, each line checked as a valid R4B resource."""
    found: dict[str, list[dict[str, Any]]] = {}
    for output in manifest["output"]:
        response = downloads.get(output["url"])
        assert response.status_code == 200, response.text
        lines = response.content.splitlines()
        assert len(lines) == output["count"]
        for line in lines:
            resource = validated(orjson.loads(line))
            assert resource["resourceType"] == output["type"]
            found.setdefault(output["type"], []).append(resource)
    return found


def outcome(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR)
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return body


def ids(items: list[dict[str, Any]]) -> list[str]:
    return sorted(str(item["id"]) for item in items)


@pytest.fixture
def clinic(server: ApiServer, api: httpx.Client) -> dict[str, Any]:
    """Colombia (it books at once) with a doctor, two patients, a medication and an
    appointment; and a patient in Peru."""
    doctor = add_doctor(api, "CO")["doctorId"]
    ana = add_patient(api, "CO", allergies=["Latex"])
    luis = add_patient(api, "CO", conditions=[])
    peru = add_patient(api, "PE")
    response = new_medication(api, ana, prescriberId=doctor)
    assert response.status_code == 201, response.text
    slot = local_slot(server, "CO", "America/Bogota")
    appointment = booked(api, doctor, luis, slot)["appointmentId"]
    return {"doctor": doctor, "co": [ana, luis], "pe": peru, "appointment": appointment}


def test_a_group_export_holds_what_the_native_api_shows(
    api: httpx.Client, downloads: httpx.Client, clinic: dict[str, Any]
) -> None:
    status_url = kick_off(api, "Group/CO/$export")
    manifest = finished(api, status_url)
    assert manifest["request"] == f"{str(api.base_url).rstrip('/')}/fhir/R4/Group/CO/$export"
    found = resources(downloads, manifest)

    native = api.get("/patients", params={"countryId": "CO", "includeInactive": "true"}).json()
    assert ids(found["Patient"]) == ids(native["items"]) == sorted(clinic["co"])
    conditions = {
        (c["subject"]["reference"], c["code"]["coding"][0]["code"]) for c in found["Condition"]
    }
    assert conditions == {
        (f"Patient/{p['id']}", c["code"]) for p in native["items"] for c in p["conditions"]
    }
    allergies = {a["patient"]["reference"] for a in found["AllergyIntolerance"]}
    assert allergies == {f"Patient/{p}" for p in clinic["co"]}
    medications = [
        m for p in clinic["co"] for m in api.get(f"/patients/{p}/medications").json()["items"]
    ]
    assert ids(found["MedicationStatement"]) == ids(medications)
    assert ids(found["Appointment"]) == [clinic["appointment"]]
    assert ids(found["Practitioner"]) == ids(found["PractitionerRole"]) == [clinic["doctor"]]
    assert ids(found["Organization"]) == ids(found["Location"]) == ["CO"]


def test_a_system_export_holds_every_country_and_patient(
    api: httpx.Client, downloads: httpx.Client, clinic: dict[str, Any]
) -> None:
    found = resources(downloads, finished(api, kick_off(api, "$export")))
    assert ids(found["Patient"]) == sorted([*clinic["co"], clinic["pe"]])
    assert {"CO", "PE", "CL", "MX", "US"} <= set(ids(found["Organization"]))


def test_a_patient_export_holds_patients_data_only(
    api: httpx.Client, downloads: httpx.Client, clinic: dict[str, Any]
) -> None:
    found = resources(downloads, finished(api, kick_off(api, "Patient/$export")))
    assert set(found) == {
        "Patient",
        "Condition",
        "AllergyIntolerance",
        "MedicationStatement",
        "Appointment",
    }
    refused = api.get("/fhir/R4/Patient/$export", params={"_type": "Location"}, headers=ASYNC)
    assert outcome(refused, 400)["issue"][0]["expression"] == ["_type"]


def test_type_and_since_narrow_an_export(
    server: ApiServer, api: httpx.Client, downloads: httpx.Client, clinic: dict[str, Any]
) -> None:
    found = resources(
        downloads, finished(api, kick_off(api, "Group/CO/$export", _type="Patient,Appointment"))
    )
    assert set(found) == {"Patient", "Appointment"}

    server.clock.advance(timedelta(minutes=5))
    since = instant(server.clock.now())
    server.clock.advance(timedelta(minutes=5))
    ana = clinic["co"][0]
    etag = api.get(f"/patients/{ana}").headers["ETag"]
    changed = api.patch(
        f"/patients/{ana}", json={"email": "new@example.org"}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    found = resources(
        downloads, finished(api, kick_off(api, "Group/CO/$export", _since=since, _type="Patient"))
    )
    assert ids(found["Patient"]) == [ana]


@pytest.mark.parametrize(
    ("params", "headers", "parameter"),
    [
        ({}, {}, "Prefer"),
        ({}, {"Prefer": "return=minimal"}, "Prefer"),
        ({"_type": "Observation"}, ASYNC, "_type"),
        ({"_since": "yesterday"}, ASYNC, "_since"),
        ({"_outputFormat": "application/fhir+json"}, ASYNC, "_outputFormat"),
    ],
)
def test_what_carehub_does_not_serve_is_a_400(
    api: httpx.Client, params: dict[str, str], headers: dict[str, str], parameter: str
) -> None:
    body = outcome(api.get("/fhir/R4/$export", params=params, headers=headers), 400)
    assert body["issue"][0]["expression"] == [parameter]


def test_an_unknown_group_is_a_404(api: httpx.Client) -> None:
    outcome(api.get("/fhir/R4/Group/ZZ/$export", headers=ASYNC), 404)


def test_only_admins_export_and_only_the_one_who_asked_polls(
    server: ApiServer, api: httpx.Client
) -> None:
    staff = account(server, "staff", "CO")
    body = outcome(staff.get("/fhir/R4/$export", headers=ASYNC), 403)
    assert body["issue"][0]["code"] == "forbidden"
    status_url = kick_off(api, "Group/CO/$export")
    outcome(staff.get(status_url), 403)
    outcome(staff.delete(status_url), 403)
    other_admin = account(server, "admin")
    outcome(other_admin.get(status_url), 404)
    outcome(api.get(status_url.rsplit("/", 1)[0] + "/0190a0b0-0000-7000-8000-000000000000"), 404)
    refused = api.get("/audit", params={"actorId": staff_id(staff)}).json()["items"]
    assert {(e["action"], e["outcome"]) for e in refused} >= {
        ("fhir_export.start", "denied"),
        ("fhir_export.read", "denied"),
        ("fhir_export.cancel", "denied"),
    }


def staff_id(client: httpx.Client) -> str:
    return str(client.get("/users/me").json()["id"])


def test_cancelling_deletes_the_export(
    server: ApiServer, api: httpx.Client, downloads: httpx.Client, clinic: dict[str, Any]
) -> None:
    status_url = kick_off(api, "Group/CO/$export")
    manifest = finished(api, status_url)
    cancelled = api.delete(status_url)
    assert cancelled.status_code == 202, cancelled.text
    outcome(api.get(status_url), 404)
    for output in manifest["output"]:
        assert downloads.get(output["url"]).status_code == 404
    running = kick_off(api, "$export")
    assert api.delete(running).status_code == 202
    outcome(api.get(running), 404)
    outcome(api.delete(running), 404)


def test_the_capability_statement_offers_the_exports(anonymous: httpx.Client) -> None:
    statement = anonymous.get("/fhir/R4/metadata").json()
    rest = statement["rest"][0]
    bulk = "http://hl7.org/fhir/uv/bulkdata"
    assert statement["instantiates"] == [f"{bulk}/CapabilityStatement/bulk-data"]
    assert rest["operation"] == [
        {"name": "export", "definition": f"{bulk}/OperationDefinition/export"}
    ]
    by_type = {r["type"]: r for r in rest["resource"]}
    assert by_type["Group"]["operation"][0]["definition"].endswith("/group-export")
    assert by_type["Patient"]["operation"][0]["definition"].endswith("/patient-export")
    assert "interaction" not in by_type["Group"]
