"""Tokens of an external provider (moto's Cognito) accepted by the API itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from carehub.config import Settings
from tests.adapters.identity.conftest import EMAIL, CognitoPool
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, sign_in
from tests.support.clock import AdjustableClock
from tests.support.server import running_server
from tests.support.services import fresh_sqlite


@pytest.fixture
def oidc_api(
    cognito: CognitoPool, sqlite_template: Path, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    settings = Settings(
        database_url=fresh_sqlite(sqlite_template, tmp_path),
        data_dir=tmp_path,
        oidc_issuer=cognito.issuer,
        oidc_jwks_url=cognito.jwks_url,
        oidc_audience=cognito.client_id,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
    )
    with running_server(settings, AdjustableClock()) as base:
        yield base, sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)


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
