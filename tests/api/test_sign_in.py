"""Password sign-in, lockout, refresh rotation, sign-out and user administration."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx

from carehub.kernel.pagination import encode_cursor
from tests.api.conftest import ApiServer
from tests.support.auth import bearer

PASSWORD = "a long and good passphrase"


def new_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@clinic.test"


def create_user(api: httpx.Client, role: str = "staff", **fields: object) -> dict[str, object]:
    body = {"email": new_email(role), "role": role, "password": PASSWORD, "countryId": "PE"}
    body.update(fields)
    response = api.post("/users", json=body)
    assert response.status_code == 201, response.text
    user: dict[str, object] = response.json()
    return user


def login(server: ApiServer, email: object, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(f"{server.base_url}/auth/login", json={"email": email, "password": password})


def test_login_returns_bearer_tokens(api: httpx.Client, server: ApiServer) -> None:
    user = create_user(api)
    response = login(server, user["email"])
    assert response.status_code == 200
    body = response.json()
    assert body["tokenType"] == "Bearer"
    assert body["expiresIn"] == 900
    assert body["accessToken"].count(".") == 2 and body["refreshToken"]
    me = httpx.get(f"{server.base_url}/users/me", headers=bearer(body["accessToken"]))
    assert me.json()["id"] == user["id"] and me.json()["role"] == "staff"


def test_email_is_case_insensitive_and_unique(api: httpx.Client, server: ApiServer) -> None:
    user = create_user(api)
    email = str(user["email"])
    assert login(server, email.upper()).status_code == 200
    again = api.post("/users", json={"email": email.upper(), "role": "staff", "password": PASSWORD})
    assert again.status_code == 409


def test_wrong_password_and_unknown_email_get_the_same_answer(
    api: httpx.Client, server: ApiServer
) -> None:
    user = create_user(api)
    wrong = login(server, user["email"], "not the right passphrase")
    unknown = login(server, new_email(), PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


def test_weak_passwords_are_refused(api: httpx.Client) -> None:
    for password in ("short1!", "password1234", "aaaaaaaaaaaaaaaa"):
        body = {"email": new_email(), "role": "staff", "password": password}
        response = api.post("/users", json=body)
        assert response.status_code == 422, password
        assert response.json()["errors"][0]["field"] == "password"


def test_five_wrong_passwords_lock_the_account_for_a_while(
    api: httpx.Client, server: ApiServer
) -> None:
    user = create_user(api)
    for _ in range(5):
        assert login(server, user["email"], "not the right passphrase").status_code == 401
    assert login(server, user["email"]).status_code == 401  # locked, right password or not
    server.clock.offset = timedelta(minutes=16)
    assert login(server, user["email"]).status_code == 200


def test_login_attempts_are_rate_limited_per_account(api: httpx.Client, server: ApiServer) -> None:
    email = new_email()
    statuses = [login(server, email, "whatever passphrase").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    limited = login(server, email, "whatever passphrase")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 900


def test_refresh_rotates_and_reuse_revokes_the_family(api: httpx.Client, server: ApiServer) -> None:
    user = create_user(api)
    first = login(server, user["email"]).json()
    second = httpx.post(
        f"{server.base_url}/auth/refresh", json={"refreshToken": first["refreshToken"]}
    )
    assert second.status_code == 200
    pair = second.json()
    assert pair["refreshToken"] != first["refreshToken"]
    assert httpx.get(f"{server.base_url}/users/me", headers=bearer(pair["accessToken"])).is_success
    # The old refresh token shows up again: someone copied it. The whole family goes.
    reused = httpx.post(
        f"{server.base_url}/auth/refresh", json={"refreshToken": first["refreshToken"]}
    )
    assert reused.status_code == 401
    latest = httpx.post(
        f"{server.base_url}/auth/refresh", json={"refreshToken": pair["refreshToken"]}
    )
    assert latest.status_code == 401
    me = httpx.get(f"{server.base_url}/users/me", headers=bearer(pair["accessToken"]))
    assert me.status_code == 401


def test_logout_revokes_the_session(api: httpx.Client, server: ApiServer) -> None:
    user = create_user(api)
    pair = login(server, user["email"]).json()
    headers = bearer(pair["accessToken"])
    out = httpx.post(
        f"{server.base_url}/auth/logout",
        json={"refreshToken": pair["refreshToken"]},
        headers=headers,
    )
    assert out.status_code == 204
    assert httpx.get(f"{server.base_url}/users/me", headers=headers).status_code == 401
    again = httpx.post(
        f"{server.base_url}/auth/refresh", json={"refreshToken": pair["refreshToken"]}
    )
    assert again.status_code == 401


def test_only_admins_manage_accounts(api: httpx.Client, server: ApiServer) -> None:
    staff = create_user(api)
    token = login(server, staff["email"]).json()["accessToken"]
    with server.client(token) as client:
        assert (
            client.post("/users", json={"email": new_email(), "role": "admin"}).status_code == 403
        )
        assert client.patch(f"/users/{staff['id']}", json={"role": "admin"}).status_code == 403
        assert client.get("/users").status_code == 403
        other = create_user(api)
        assert client.get(f"/users/{other['id']}").status_code == 404


def test_changing_a_role_signs_the_user_out(api: httpx.Client, server: ApiServer) -> None:
    staff = create_user(api)
    token = login(server, staff["email"]).json()["accessToken"]
    changed = api.patch(f"/users/{staff['id']}", json={"role": "doctor"})
    assert changed.status_code == 200 and changed.json()["role"] == "doctor"
    assert httpx.get(f"{server.base_url}/users/me", headers=bearer(token)).status_code == 401
    fresh = login(server, staff["email"]).json()["accessToken"]
    me = httpx.get(f"{server.base_url}/users/me", headers=bearer(fresh)).json()
    assert me["role"] == "doctor"


def test_disabled_accounts_cannot_sign_in(api: httpx.Client, server: ApiServer) -> None:
    staff = create_user(api)
    assert api.patch(f"/users/{staff['id']}", json={"status": "disabled"}).status_code == 200
    assert login(server, staff["email"]).status_code == 401


def test_doctor_gets_a_practitioner_link_and_patients_need_a_record(api: httpx.Client) -> None:
    doctor = create_user(api, role="doctor")
    assert doctor["practitionerId"]
    orphan = api.post(
        "/users", json={"email": new_email(), "role": "patient", "password": PASSWORD}
    )
    assert orphan.status_code == 422


def test_the_user_list_pages_by_cursor_and_refuses_a_forged_one(api: httpx.Client) -> None:
    create_user(api)
    first = api.get("/users", params={"limit": 1})
    assert first.status_code == 200, first.text
    cursor = first.json()["nextCursor"]
    second = api.get("/users", params={"limit": 1, "cursor": cursor})
    assert second.status_code == 200, second.text
    assert second.json()["items"][0]["id"] != first.json()["items"][0]["id"]
    forged = api.get("/users", params={"cursor": encode_cursor({"after": 5})})
    assert forged.status_code == 422
    assert [e["field"] for e in forged.json()["errors"]] == ["cursor"]


def test_the_last_active_admin_cannot_be_disabled_or_demoted(
    api: httpx.Client, server: ApiServer
) -> None:
    # Accounts outlive a test: leave the bootstrap admin as the only active one.
    me = api.get("/users/me").json()
    for user in all_users(api):
        if user["role"] == "admin" and user["status"] == "active" and user["id"] != me["id"]:
            patched = api.patch(f"/users/{user['id']}", json={"status": "disabled"})
            assert patched.status_code == 200, patched.text

    for change in ({"status": "disabled"}, {"role": "staff"}, {"role": "doctor"}):
        refused = api.patch(f"/users/{me['id']}", json=change)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    assert api.get("/users/me").json()["role"] == "admin"  # still signed in, still admin

    other = create_user(api, role="admin")
    demoted = api.patch(f"/users/{other['id']}", json={"role": "staff"})
    assert demoted.status_code == 200, demoted.text
    spec = api.get("/openapi.json").json()
    assert "409" in spec["paths"]["/users/{user_id}"]["patch"]["responses"]


def all_users(api: httpx.Client) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = api.get("/users", params=params).json()
        users += page["items"]
        cursor = page["nextCursor"]
        if not cursor:
            return users
