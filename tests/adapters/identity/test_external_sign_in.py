"""Tokens of an external provider (moto's Cognito) accepted by the API itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from carehub.config import Settings
from tests.adapters.identity.conftest import EMAIL, CognitoPool
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, sign_in
from tests.support.clock import AdjustableClock
from tests.support.server import running_server
from tests.support.services import fresh_sqlite


def oidc_settings(cognito: CognitoPool, folder: Path, database_url: str, **more: Any) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=folder,
        oidc_issuer=cognito.issuer,
        oidc_jwks_url=cognito.jwks_url,
        oidc_audience=cognito.client_id,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
        **more,
    )


@pytest.fixture
def oidc_api(
    cognito: CognitoPool, sqlite_template: Path, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    settings = oidc_settings(cognito, tmp_path, fresh_sqlite(sqlite_template, tmp_path))
    with running_server(settings, AdjustableClock()) as base:
        yield base, sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)


def test_me_describes_an_external_principal_without_a_carehub_account(
    cognito: CognitoPool, sqlite_template: Path, tmp_path: Path
) -> None:
    # The provider's `doctor` group maps to carehub's staff role, which needs no account.
    url = fresh_sqlite(sqlite_template, tmp_path)
    settings = oidc_settings(cognito, tmp_path, url, oidc_group_roles={"doctor": "staff"})
    with running_server(settings, AdjustableClock()) as base:
        me = httpx.get(f"{base}/users/me", headers=bearer(cognito.id_token))
    assert me.status_code == 200, me.text
    assert me.json() == {
        "id": f"oidc:{cognito.user_sub}",
        "email": EMAIL,
        "role": "staff",
        "status": "active",
        "countryId": None,
        "patientId": None,
        "practitionerId": None,
        "createdAt": None,
        "external": {"issuer": cognito.issuer, "subject": cognito.user_sub},
    }


def test_cognito_doctor_needs_a_matching_carehub_account(
    oidc_api: tuple[str, str], cognito: CognitoPool
) -> None:
    base, admin = oidc_api
    unknown = httpx.get(f"{base}/patients", headers=bearer(cognito.id_token))
    assert unknown.status_code == 401
    doctor = {"email": EMAIL, "role": "doctor", "countryId": "PE"}
    assert httpx.post(f"{base}/users", json=doctor, headers=bearer(admin)).status_code == 201
    me = httpx.get(f"{base}/users/me", headers=bearer(cognito.id_token))
    assert me.status_code == 200
    assert me.json()["email"] == EMAIL and me.json()["role"] == "doctor"
    assert me.json()["external"] == {"issuer": cognito.issuer, "subject": cognito.user_sub}
    # The doctor has nobody in their care yet: the list is empty, not an error.
    listed = httpx.get(f"{base}/patients", headers=bearer(cognito.id_token))
    assert listed.status_code == 200 and listed.json()["items"] == []


def test_tokens_of_other_issuers_or_tampered_are_refused(
    oidc_api: tuple[str, str], cognito: CognitoPool
) -> None:
    base, _ = oidc_api
    head, payload, signature = cognito.id_token.split(".")
    tampered = f"{head}.{payload[:-4]}AAAA.{signature}"
    for token in (tampered, "not-a-token", cognito.id_token + "x"):
        assert httpx.get(f"{base}/patients", headers=bearer(token)).status_code == 401
