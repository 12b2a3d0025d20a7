"""The world the authorization and audit API tests share.

Countries PE and CL; patients P1 and P2 (PE) and P3 (CL); an admin, staff of each country,
doctor A (P1 is in their care), doctor B (nobody in their care) and the patient behind P1.
Accounts are made once per module (users survive the emptying of tables between tests); the
records and the care relationship are seeded again for every test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import httpx

from tests.api.bodies import structured
from tests.api.conftest import ApiServer
from tests.support.auth import sign_in
from tests.support.countries import create_countries, ensure_country

ROLES = ("admin", "staff_pe", "staff_cl", "doctor_a", "doctor_b", "patient_p1")
RECORDS = ("P1", "P2", "P3", "missing")
COUNTRY_OF = {"P1": "PE", "P2": "PE", "P3": "CL"}
PASSWORD = "Correct matrix battery 42"


@dataclass(frozen=True)
class Account:
    """A signed-in user and an HTTP client carrying their bearer token."""

    id: str
    role: str
    practitioner_id: str | None
    client: httpx.Client


@dataclass
class People:
    """The accounts of the world, keyed like ROLES, and the ids of its records."""

    accounts: dict[str, Account] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Account:
        return self.accounts[key]

    def close(self) -> None:
        for account in self.accounts.values():
            account.client.close()


def enrol(
    server: ApiServer,
    role: str,
    country_id: str | None,
    *,
    patient_id: str | None = None,
) -> Account:
    """Create a user as the admin and sign them in."""
    email = f"{role}-{uuid.uuid4().hex[:12]}@matrix.test"
    body = {"email": email, "role": role, "password": PASSWORD, "countryId": country_id}
    with server.client() as admin:
        if patient_id is not None:
            # An account links only an existing record. Tables are emptied before each
            # test, which seeds the record again under the same id.
            ensure_country(admin, country_id or "PE")
            record = admin.post(
                "/patients", json=patient_body(country_id or "PE", patientId=patient_id)
            )
            assert record.status_code in (201, 409), record.text
            body["patientId"] = patient_id
        response = admin.post("/users", json=body)
    assert response.status_code == 201, response.text
    user = response.json()
    token = sign_in(server.base_url, email, PASSWORD)
    return Account(user["id"], role, user["practitionerId"], server.client(token))


def enrol_people(server: ApiServer) -> People:
    """Every account of the world; record ids are fixed now so a patient user can link."""
    suffix = uuid.uuid4().hex[:12]
    people = People(ids={key: f"{key.lower()[:2]}-{suffix}" for key in RECORDS})
    # Same length as the real ids, so not even Content-Length tells them apart.
    assert len({len(i) for i in people.ids.values()}) == 1
    admin = server.client()
    people.accounts["admin"] = Account(admin.get("/users/me").json()["id"], "admin", None, admin)
    people.accounts["staff_pe"] = enrol(server, "staff", "PE")
    people.accounts["staff_cl"] = enrol(server, "staff", "CL")
    people.accounts["doctor_a"] = enrol(server, "doctor", "PE")
    people.accounts["doctor_b"] = enrol(server, "doctor", "PE")
    people.accounts["patient_p1"] = enrol(server, "patient", "PE", patient_id=people.ids["P1"])
    return people


def seed_records(people: People) -> None:
    """Add countries PE and CL, register P1..P3 (as the admin) and put P1 in doctor A's
    care (as PE staff)."""
    admin = people["admin"].client
    create_countries(admin, *({"code": code} for code in sorted(set(COUNTRY_OF.values()))))
    for key, country in COUNTRY_OF.items():
        body = patient_body(country, patientId=people.ids[key])
        response = admin.post("/patients", json=body)
        assert response.status_code == 201, response.text
    assign = people["staff_pe"].client.post(
        f"/patients/{people.ids['P1']}/care-team",
        json={"practitionerId": people["doctor_a"].practitioner_id},
    )
    assert assign.status_code == 204, assign.text


def patient_body(country_id: str, **overrides: object) -> dict[str, object]:
    """A patient body without identifiers (they must be unique), with overrides."""
    return structured(**{"countryId": country_id, "identifiers": [], **overrides})


# Every route that reads or changes health data (each is audited).
HEALTH_DATA_ROUTES = {
    ("GET", "/patients"),
    ("GET", "/patients/search"),
    ("POST", "/patients"),
    ("GET", "/patients/{patient_id}"),
    ("PATCH", "/patients/{patient_id}"),
    ("DELETE", "/patients/{patient_id}"),
    ("POST", "/patients/{patient_id}/care-team"),
    ("DELETE", "/patients/{patient_id}/care-team/{practitioner_id}"),
    ("GET", "/patients/{patient_id}/access-log"),
    ("GET", "/patients/{patient_id}/timeline"),
    ("GET", "/audit"),
    ("GET", "/patients/{patient_id}/notes"),
    ("POST", "/patients/{patient_id}/notes"),
    ("GET", "/patients/{patient_id}/notes/{note_id}"),
    ("POST", "/patients/{patient_id}/notes/{note_id}/amendments"),
    ("POST", "/patients/{patient_id}/notes/{note_id}/entered-in-error"),
    ("GET", "/patients/{patient_id}/notes/{note_id}/history"),
    ("GET", "/patients/{patient_id}/medications"),
    ("POST", "/patients/{patient_id}/medications"),
    ("GET", "/patients/{patient_id}/medications/{medication_id}"),
    ("POST", "/patients/{patient_id}/medications/{medication_id}/stop"),
    ("POST", "/patients/{patient_id}/medications/{medication_id}/complete"),
    ("GET", "/patients/{patient_id}/medications/{medication_id}/history"),
    ("GET", "/patients/{patient_id}/tasks"),
    ("POST", "/patients/{patient_id}/tasks"),
    ("GET", "/patients/{patient_id}/tasks/{task_id}"),
    ("PATCH", "/patients/{patient_id}/tasks/{task_id}"),
    ("GET", "/patients/{patient_id}/tasks/{task_id}/history"),
    ("GET", "/tasks"),
    ("GET", "/patients/{patient_id}/checklists"),
    ("POST", "/patients/{patient_id}/checklists"),
    ("GET", "/patients/{patient_id}/checklists/{checklist_id}"),
    ("POST", "/patients/{patient_id}/checklists/{checklist_id}/items/{item_id}/check"),
    ("POST", "/patients/{patient_id}/checklists/{checklist_id}/items/{item_id}/uncheck"),
    ("GET", "/patients/{patient_id}/checklists/{checklist_id}/history"),
}
