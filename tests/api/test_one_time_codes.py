"""Email one-time codes and patient sign-up (codes read from the embedded mail outbox)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api.conftest import ApiServer
from tests.support.auth import bearer
from tests.support.mailbox import delivered_to, last_code, messages_to

# Patients here live in the shipped countries.
pytestmark = pytest.mark.usefixtures("shipped_countries")

PASSWORD = "a long and good passphrase"


def new_email() -> str:
    return f"p-{uuid.uuid4().hex[:10]}@clinic.test"


def post(server: ApiServer, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{server.base_url}{path}", json=body, timeout=30)


def staff(api: httpx.Client) -> str:
    email = new_email()
    body = {"email": email, "role": "staff", "password": PASSWORD, "countryId": "PE"}
    assert api.post("/users", json=body).status_code == 201
    return email


def test_code_signs_in_once(api: httpx.Client, server: ApiServer) -> None:
    email = staff(api)
    assert post(server, "/auth/otp/request", {"email": email}).status_code == 202
    code = last_code(server.data_dir, email)
    signed_in = post(server, "/auth/otp/verify", {"email": email, "code": code})
    assert signed_in.status_code == 200 and signed_in.json()["accessToken"]
    assert post(server, "/auth/otp/verify", {"email": email, "code": code}).status_code == 401


def test_unknown_email_gets_the_same_answer_and_no_mail(server: ApiServer) -> None:
    email = new_email()
    response = post(server, "/auth/otp/request", {"email": email})
    assert response.status_code == 202
    assert messages_to(server.data_dir, email) == []


def test_code_expires_after_ten_minutes(api: httpx.Client, server: ApiServer) -> None:
    email = staff(api)
    post(server, "/auth/otp/request", {"email": email})
    code = last_code(server.data_dir, email)
    server.clock.offset = server.clock.offset.__class__(minutes=10, seconds=1)
    assert post(server, "/auth/otp/verify", {"email": email, "code": code}).status_code == 401


def test_five_wrong_codes_burn_the_challenge(api: httpx.Client, server: ApiServer) -> None:
    email = staff(api)
    post(server, "/auth/otp/request", {"email": email})
    code = last_code(server.data_dir, email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert post(server, "/auth/otp/verify", {"email": email, "code": wrong}).status_code == 401
    assert post(server, "/auth/otp/verify", {"email": email, "code": code}).status_code == 401


def test_brute_force_is_stopped_by_the_rate_limit(api: httpx.Client, server: ApiServer) -> None:
    email = staff(api)
    post(server, "/auth/otp/request", {"email": email})
    statuses = [
        post(server, "/auth/otp/verify", {"email": email, "code": f"{n:06d}"}).status_code
        for n in range(12)
    ]
    assert 429 in statuses
    assert statuses.count(401) <= 10


def test_patient_signs_up_confirms_and_reads_only_their_record(
    api: httpx.Client, server: ApiServer
) -> None:
    email = new_email()
    body = {
        "email": email,
        "password": PASSWORD,
        "countryId": "PE",
        "name": {"given": ["Rosa"], "family": "Quispe"},
        "birthDate": "1990-04-02",
    }
    assert post(server, "/auth/signup", body).status_code == 202
    # Not active until the email is confirmed.
    login = {"email": email, "password": PASSWORD}
    assert post(server, "/auth/login", login).status_code == 401
    code = last_code(server.data_dir, email)
    confirmed = post(server, "/auth/signup/verify", {"email": email, "code": code})
    assert confirmed.status_code == 201
    token = confirmed.json()["accessToken"]
    me = httpx.get(f"{server.base_url}/users/me", headers=bearer(token)).json()
    assert me["role"] == "patient" and me["patientId"]
    with server.client(token) as client:
        own = client.get(f"/patients/{me['patientId']}")
        assert own.status_code == 200
        assert own.json()["name"]["family"] == "Quispe"
        other = api.post("/patients", json={"name": "Otro Paciente", "countryId": "PE"}).json()
        assert client.get(f"/patients/{other['id']}").status_code == 404
        assert [p["id"] for p in client.get("/patients").json()["items"]] == [me["patientId"]]
    assert post(server, "/auth/login", login).status_code == 200


def test_sign_up_in_an_unknown_country_is_refused_naming_country_id(server: ApiServer) -> None:
    body = {
        "email": new_email(),
        "password": PASSWORD,
        "countryId": "ZZZ-nope",
        "name": {"given": ["Rosa"], "family": "Quispe"},
    }
    response = post(server, "/auth/signup", body)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["countryId"]


def test_sign_up_cannot_choose_role_status_or_links(server: ApiServer) -> None:
    base = {
        "email": new_email(),
        "password": PASSWORD,
        "countryId": "PE",
        "name": {"given": ["Eve"], "family": "Mallory"},
    }
    for field, value in (("role", "admin"), ("status", "active"), ("patientId", "x1")):
        response = post(server, "/auth/signup", {**base, field: value})
        assert response.status_code == 403, field


def test_sign_up_with_a_taken_email_looks_the_same_and_warns_the_owner(
    api: httpx.Client, server: ApiServer
) -> None:
    email = staff(api)
    body = {
        "email": email,
        "password": PASSWORD,
        "countryId": "PE",
        "name": {"given": ["Eve"], "family": "Mallory"},
    }
    response = post(server, "/auth/signup", body)
    assert response.status_code == 202
    assert "already has one" in delivered_to(server.data_dir, email)[-1].get_content()
