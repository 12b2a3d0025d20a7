"""What the clinical record's API tests share: the world of the authorization tests
(countries PE and CL; P1 and P2 of PE, P3 of CL; an admin, staff of each country, doctor A
with P1 in care, doctor B, and P1's own account), and builders of each kind of item."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import ApiServer
from tests.support.world import People, enrol_people, seed_records

NOTE = {"text": "Cough and low-grade fever for three days."}
SOAP = {"soap": {"subjective": "Cough", "objective": "T 37.9 C", "plan": "Fluids, rest"}}
METFORMIN = {
    "name": "Metformin 500 mg",
    "code": {"system": "rxnorm", "code": "860975"},
    "dose": 500,
    "doseUnit": "mg",
    "route": "oral",
    "frequency": "twice a day",
}


# Fixtures under their own names, so a module that imports them takes `world` as a
# parameter without shadowing the import.
@pytest.fixture(name="people", scope="module")
def people_fixture(api_server: ApiServer) -> Iterator[People]:
    found = enrol_people(api_server)
    yield found
    found.close()


@pytest.fixture(name="world")
def world_fixture(server: ApiServer, people: People) -> People:
    """The accounts of every role, and the records seeded again for this test."""
    seed_records(people)
    return people


def body_of(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    found: dict[str, Any] = response.json()
    return found


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem document of a refusal with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    found: dict[str, Any] = response.json()
    return found


def error_fields(response: httpx.Response) -> list[str]:
    return [e["field"] for e in problem(response, 422).get("errors", [])]


def if_match(response: httpx.Response) -> dict[str, str]:
    """An If-Match header naming the ETag `response` carried."""
    return {"If-Match": response.headers["ETag"]}


def new_note(client: httpx.Client, patient_id: str, **body: Any) -> httpx.Response:
    return client.post(f"/patients/{patient_id}/notes", json=body or NOTE)


def new_medication(client: httpx.Client, patient_id: str, **fields: Any) -> httpx.Response:
    return client.post(f"/patients/{patient_id}/medications", json={**METFORMIN, **fields})


def new_task(client: httpx.Client, patient_id: str, **fields: Any) -> httpx.Response:
    return client.post(f"/patients/{patient_id}/tasks", json={"title": "Check wound", **fields})


def new_checklist(
    client: httpx.Client, patient_id: str, template_id: str = "surgical-safety"
) -> httpx.Response:
    return client.post(f"/patients/{patient_id}/checklists", json={"templateId": template_id})


def audited(world: People, patient_id: str) -> list[tuple[str, str, str]]:
    """The audit trail of a patient as (action, outcome, resource type), newest first."""
    response = world["admin"].client.get("/audit", params={"patientId": patient_id, "limit": 200})
    items = body_of(response)["items"]
    return [(e["action"], e["outcome"], e["resourceType"]) for e in items]
