"""Who may do what to which patient record: every health-data route × every role.

The world (`tests.support.world`) is seeded again for every test. Out-of-scope records must
answer exactly like an id that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

import httpx
import pytest

from tests.api.conftest import ApiServer
from tests.support.world import (
    COUNTRY_OF,
    HEALTH_DATA_ROUTES,
    RECORDS,
    ROLES,
    Account,
    People,
    enrol_people,
    patient_body,
    seed_records,
)

VISITING_PRACTITIONER = "pr-visiting"


@pytest.fixture(scope="module")
def people(api_server: ApiServer) -> Iterator[People]:
    found = enrol_people(api_server)
    yield found
    found.close()


@pytest.fixture
def world(server: ApiServer, people: People) -> People:
    seed_records(people)
    return people


# --- one operation on one record, as one account --------------------------------------------

Operation = Callable[[People, Account, str], httpx.Response]


def current_etag(world: People, patient_id: str) -> str:
    """The ETag an admin reads now (a placeholder for an id that does not exist)."""
    response = world["admin"].client.get(f"/patients/{patient_id}")
    etag: str = response.headers.get("ETag", '"v1"')
    return etag


def read(world: People, who: Account, patient_id: str) -> httpx.Response:
    return who.client.get(f"/patients/{patient_id}")


def patch(changes: Mapping[str, object]) -> Operation:
    def run(world: People, who: Account, patient_id: str) -> httpx.Response:
        etag = current_etag(world, patient_id)
        return who.client.patch(f"/patients/{patient_id}", json=changes, headers={"If-Match": etag})

    return run


def deactivate(world: People, who: Account, patient_id: str) -> httpx.Response:
    return who.client.delete(f"/patients/{patient_id}")


def assign_care(world: People, who: Account, patient_id: str) -> httpx.Response:
    body = {"practitionerId": VISITING_PRACTITIONER}
    return who.client.post(f"/patients/{patient_id}/care-team", json=body)


def unassign_care(world: People, who: Account, patient_id: str) -> httpx.Response:
    doctor = world["doctor_a"].practitioner_id
    return who.client.delete(f"/patients/{patient_id}/care-team/{doctor}")


def access_log(world: People, who: Account, patient_id: str) -> httpx.Response:
    return who.client.get(f"/patients/{patient_id}/access-log")


def timeline(world: People, who: Account, patient_id: str) -> httpx.Response:
    return who.client.get(f"/patients/{patient_id}/timeline")


# --- the expectations -----------------------------------------------------------------------

Table = dict[str, tuple[int, ...]]

# Statuses per role for P1, P2, P3 and an id that does not exist (doctor A has P1 in care;
# the patient account is P1's). 404 on an existing record means "out of scope".
#                P1   P2   P3   missing
SEE: Table = {
    "admin": (200, 200, 200, 404),
    "staff_pe": (200, 200, 404, 404),
    "staff_cl": (404, 404, 200, 404),
    "doctor_a": (200, 404, 404, 404),
    "doctor_b": (404, 404, 404, 404),
    "patient_p1": (200, 404, 404, 404),
}
# Only staff and admins manage a record they can see; the others get 403 on what they see.
MANAGE: Table = {
    "admin": (200, 200, 200, 404),
    "staff_pe": (200, 200, 404, 404),
    "staff_cl": (404, 404, 200, 404),
    "doctor_a": (403, 404, 404, 404),
    "doctor_b": (404, 404, 404, 404),
    "patient_p1": (403, 404, 404, 404),
}
CHANGE_CARE: Table = {
    role: tuple(204 if s == 200 else s for s in row) for role, row in MANAGE.items()
}
# A patient may change their contact details, nothing else.
CHANGE_BIRTH_DATE: Table = {**SEE, "patient_p1": (403, 404, 404, 404)}
# The access log: the patient themselves and admins (who get an empty log for an unused id).
READ_ACCESS_LOG: Table = {
    "admin": (200, 200, 200, 200),
    "staff_pe": (404, 404, 404, 404),
    "staff_cl": (404, 404, 404, 404),
    "doctor_a": (404, 404, 404, 404),
    "doctor_b": (404, 404, 404, 404),
    "patient_p1": (200, 404, 404, 404),
}

OPERATIONS: dict[str, tuple[Operation, Table]] = {
    "read": (read, SEE),
    "patch-phone": (patch({"phoneNumber": "+51 900 000 001"}), SEE),
    "patch-birth-date": (patch({"birthDate": "1981-04-15"}), CHANGE_BIRTH_DATE),
    "deactivate": (deactivate, MANAGE),
    "assign-care": (assign_care, CHANGE_CARE),
    "unassign-care": (unassign_care, CHANGE_CARE),
    "access-log": (access_log, READ_ACCESS_LOG),
    "timeline": (timeline, SEE),
}

# Registering: statuses per role for a patient of PE and one of CL.
REGISTER = {
    "admin": (201, 201),
    "staff_pe": (201, 403),
    "staff_cl": (403, 201),
    "doctor_a": (201, 403),
    "doctor_b": (201, 403),
    "patient_p1": (403, 403),
}

# Lists: what each role finds with GET /patients and the given query.
LISTS = [
    ("admin", {}, {"P1", "P2", "P3"}),
    ("admin", {"countryId": "CL"}, {"P3"}),
    ("staff_pe", {}, {"P1", "P2"}),
    ("staff_pe", {"countryId": "PE"}, {"P1", "P2"}),
    ("staff_pe", {"countryId": "CL"}, set()),
    ("staff_cl", {}, {"P3"}),
    ("staff_cl", {"countryId": "PE"}, set()),
    ("doctor_a", {}, {"P1"}),
    ("doctor_a", {"countryId": "PE"}, {"P1"}),
    ("doctor_b", {}, set()),
    ("patient_p1", {}, {"P1"}),
    ("patient_p1", {"countryId": "CL"}, set()),
]

# Nobody but these needs a token.
OPEN_PATHS = re.compile(
    # /objects/: the embedded folder store's signed URLs (the signature is the permission).
    # /fhir/R4/metadata: the CapabilityStatement, public as FHIR asks.
    r"^/(health/|auth/|\.well-known/jwks\.json$|docs|redoc|openapi\.json$|objects/"
    r"|fhir/R4/metadata$)"
)


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_record_operations(world: People, operation: str, role: str) -> None:
    run, table = OPERATIONS[operation]
    who = world[role]
    before = {record: admin_view(world, record) for record in COUNTRY_OF}
    responses = {record: run(world, who, world.ids[record]) for record in RECORDS}

    statuses = tuple(responses[record].status_code for record in RECORDS)
    assert statuses == table[role], {r: (x.status_code, x.text[:200]) for r, x in responses.items()}

    missing = responses["missing"]
    for record in COUNTRY_OF:
        if responses[record].status_code == 404:
            assert_looks_missing(
                responses[record], world.ids[record], missing, world.ids["missing"]
            )
        if responses[record].status_code >= 400:
            assert admin_view(world, record) == before[record], "a refused request changed it"


@pytest.mark.parametrize("role", ROLES)
def test_registering_only_in_own_country(world: People, role: str) -> None:
    client = world[role].client
    statuses = tuple(
        client.post("/patients", json=patient_body(country)).status_code for country in ("PE", "CL")
    )
    assert statuses == REGISTER[role]


@pytest.mark.parametrize(("role", "query", "expected"), LISTS)
def test_lists_show_exactly_what_the_role_may_see(
    world: People, role: str, query: dict[str, str], expected: set[str]
) -> None:
    response = world[role].client.get("/patients", params=query)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["nextCursor"] is None
    found = [patient["id"] for patient in page["items"]]
    assert sorted(found) == sorted(world.ids[record] for record in expected)


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_read_the_audit_trail(world: People, role: str) -> None:
    response = world[role].client.get("/audit")
    assert response.status_code == (200 if role == "admin" else 403), response.text
    if response.status_code == 403:
        assert "items" not in response.json()


def test_patients_change_only_their_contact_details(world: People) -> None:
    own = world.ids["P1"]
    allowed: list[dict[str, object]] = [
        {"email": "me@example.org"},
        {"phoneNumber": "+51 911 222 333"},
        {"address": "Jr. Cusco 55, Lima"},
    ]
    refused: list[dict[str, object]] = [
        {"name": "Somebody Else"},
        {"birthDate": "1990-01-01"},
        {"age": 30},
        {"sex": "female"},
        {"identifiers": [{"system": "urn:pe:dni", "value": "1"}]},
        {"conditions": ["Asthma"]},
        {"allergies": []},
        {"email": "me@example.org", "sex": "female"},
    ]
    patient = world["patient_p1"]
    for changes in allowed:
        response = patch(changes)(world, patient, own)
        assert response.status_code == 200, (changes, response.text)
    after_allowed = world["admin"].client.get(f"/patients/{own}").json()
    assert after_allowed["phoneNumber"] == "+51 911 222 333"
    assert after_allowed["email"] == "me@example.org"
    for changes in refused:
        response = patch(changes)(world, patient, own)
        assert response.status_code == 403, (changes, response.text)
    assert world["admin"].client.get(f"/patients/{own}").json() == after_allowed


def test_care_team_decides_what_a_doctor_sees(world: People) -> None:
    doctor, staff = world["doctor_b"], world["staff_pe"]
    p2 = world.ids["P2"]
    care_team = f"/patients/{p2}/care-team"

    assign = staff.client.post(care_team, json={"practitionerId": doctor.practitioner_id})
    assert assign.status_code == 204, assign.text
    assert doctor.client.get(f"/patients/{p2}").status_code == 200
    assert listed_ids(doctor) == [p2]

    unassign = staff.client.delete(f"{care_team}/{doctor.practitioner_id}")
    assert unassign.status_code == 204, unassign.text
    assert doctor.client.get(f"/patients/{p2}").status_code == 404
    assert listed_ids(doctor) == []


def test_doctors_see_the_patients_they_register(world: People) -> None:
    response = world["doctor_b"].client.post("/patients", json=patient_body("PE"))
    assert response.status_code == 201, response.text
    new_id = response.json()["id"]

    assert world["doctor_b"].client.get(f"/patients/{new_id}").status_code == 200
    assert listed_ids(world["doctor_b"]) == [new_id]
    assert world["doctor_a"].client.get(f"/patients/{new_id}").status_code == 404
    assert new_id not in listed_ids(world["doctor_a"])


def test_every_route_but_the_open_ones_needs_a_token(
    server: ApiServer, anonymous: httpx.Client
) -> None:
    routes = protected_routes(anonymous)
    assert set(routes) >= HEALTH_DATA_ROUTES

    answers = {route: call(anonymous, *route) for route in routes}
    wrong = {route: r.status_code for route, r in answers.items() if r.status_code != 401}
    assert not wrong
    for (_, path), response in answers.items():
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        if path.startswith("/fhir/"):  # an OperationOutcome
            assert response.json()["issue"][0]["code"] == "login"
        else:
            assert response.json()["status"] == 401


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-token",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl",
        "Basic YWRtaW46cGFzc3dvcmQ=",
        "Bearer",
    ],
)
def test_a_bad_token_is_401_with_a_bearer_challenge(
    server: ApiServer, anonymous: httpx.Client, authorization: str
) -> None:
    headers = {"Authorization": authorization}
    for route in protected_routes(anonymous):
        response = call(anonymous, *route, headers=headers)
        assert response.status_code == 401, (route, response.status_code)
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), route


def test_open_routes_answer_without_a_token(server: ApiServer, anonymous: httpx.Client) -> None:
    for path in ("/health/live", "/health/ready", "/.well-known/jwks.json", "/openapi.json"):
        assert anonymous.get(path).status_code == 200, path


# --- helpers --------------------------------------------------------------------------------


def assert_looks_missing(
    hidden: httpx.Response, hidden_id: str, missing: httpx.Response, missing_id: str
) -> None:
    """An out-of-scope record's 404 says no more than a missing id's 404 does."""
    assert missing.status_code == 404
    assert problem_shape(hidden, hidden_id) == problem_shape(missing, missing_id)


def problem_shape(response: httpx.Response, patient_id: str) -> dict[str, object]:
    """The response with its id and request id blanked out: what must not differ."""
    body = response.json()
    assert body.pop("requestId") == response.headers["X-Request-ID"]
    headers = {
        name: value
        for name, value in response.headers.items()
        if name not in ("date", "x-request-id")
    }
    blanked = {
        k: v.replace(patient_id, "{id}") if isinstance(v, str) else v for k, v in body.items()
    }
    return {"headers": headers, "body": blanked}


def admin_view(world: People, record: str) -> object:
    response = world["admin"].client.get(f"/patients/{world.ids[record]}")
    assert response.status_code == 200, response.text
    return response.json()


def listed_ids(who: Account) -> list[str]:
    response = who.client.get("/patients")
    assert response.status_code == 200, response.text
    return [patient["id"] for patient in response.json()["items"]]


def protected_routes(client: httpx.Client) -> list[tuple[str, str]]:
    """(METHOD, path template) of every documented route that is not open."""
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if not OPEN_PATHS.match(path)
    ]


def call(
    client: httpx.Client, method: str, template: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """Call a route with dummy path parameters (and an empty JSON body where one is due)."""
    path = re.sub(r"\{[^}]+\}", "dummy", template)
    body: dict[str, object] | None = {} if method in ("POST", "PATCH") else None
    return client.request(method, path, json=body, headers=headers)
