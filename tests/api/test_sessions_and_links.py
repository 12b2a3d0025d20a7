"""An access token is worth only its live session and active account; a patient account
links only an existing record, one account per record."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from carehub.adapters.identity.tokens import JwtAccessTokens
from carehub.bootstrap.backends import secret_box
from carehub.config import Settings
from carehub.identity.ports import AccessClaims
from carehub.kernel.ids import new_id
from tests.api.conftest import ApiServer
from tests.api.scheduling_world import add_patient
from tests.support.auth import bearer, sign_in

PASSWORD = "a long and good passphrase"


def signed_with_the_stored_key(server: ApiServer, claims: AccessClaims) -> str:
    """A token carehub's own key signs, as someone holding that key could forge one."""

    async def issue() -> str:
        settings = Settings(database_url=server.database_url, data_dir=server.data_dir)
        async with server.store() as store:
            tokens = JwtAccessTokens(
                store.signing_keys,
                server.clock,
                issuer=settings.token_issuer,
                ttl_seconds=900,
                secrets=secret_box(settings),
            )
            return await tokens.issue(claims)

    return asyncio.run(issue())


def assert_refused(server: ApiServer, token: str, path: str = "/users") -> None:
    response = httpx.get(f"{server.base_url}{path}", headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def staff_token(api: httpx.Client, server: ApiServer) -> tuple[str, str]:
    email = f"staff-{uuid.uuid4().hex[:10]}@clinic.test"
    created = api.post("/users", json={"email": email, "role": "staff", "password": PASSWORD})
    assert created.status_code == 201, created.text
    return created.json()["id"], sign_in(server.base_url, email, PASSWORD)


def test_a_validly_signed_token_without_a_live_session_reads_nothing(
    api: httpx.Client, server: ApiServer
) -> None:
    staff_id, token = staff_token(api, server)
    for claims in (
        AccessClaims(user_id=new_id(), role="admin", session_id=None),
        AccessClaims(user_id=new_id(), role="admin", session_id=new_id()),
        AccessClaims(user_id=staff_id, role="admin", session_id=new_id()),
    ):
        assert_refused(server, signed_with_the_stored_key(server, claims))
    # The real token still works, and proves only what its account is.
    assert httpx.get(f"{server.base_url}/users", headers=bearer(token)).status_code == 403


def test_a_signed_out_or_disabled_session_is_refused_on_the_next_request(
    api: httpx.Client, server: ApiServer
) -> None:
    _, token = staff_token(api, server)
    out = httpx.post(f"{server.base_url}/auth/logout", json={}, headers=bearer(token))
    assert out.status_code == 204
    assert_refused(server, token, "/users/me")
    staff_id, token = staff_token(api, server)
    assert httpx.get(f"{server.base_url}/users/me", headers=bearer(token)).is_success
    assert api.patch(f"/users/{staff_id}", json={"status": "disabled"}).status_code == 200
    assert_refused(server, token, "/users/me")


@pytest.mark.usefixtures("shipped_countries")
def test_a_patient_account_links_one_existing_record(api: httpx.Client) -> None:
    def link(patient_id: str) -> httpx.Response:
        email = f"patient-{uuid.uuid4().hex[:10]}@clinic.test"
        body = {"email": email, "role": "patient", "countryId": "PE", "patientId": patient_id}
        return api.post("/users", json=body)

    ghost = link(f"ghost-{uuid.uuid4().hex[:10]}")
    assert ghost.status_code == 422, ghost.text
    assert [e["field"] for e in ghost.json()["errors"]] == ["patientId"]
    record = add_patient(api, "PE")
    assert link(record).status_code == 201
    second = link(record)
    assert second.status_code == 409, second.text
    assert second.headers["content-type"] == "application/problem+json"
    # Relinking another account onto a taken or missing record is refused alike.
    other = link(add_patient(api, "PE")).json()
    moved = api.patch(f"/users/{other['id']}", json={"patientId": record})
    assert moved.status_code == 409
    gone = api.patch(f"/users/{other['id']}", json={"patientId": "nobody-here"})
    assert gone.status_code == 422
