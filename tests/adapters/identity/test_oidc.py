"""OidcVerifier: real Cognito tokens from moto, and hand-made tokens for every way to cheat."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from carehub.adapters.identity import oidc
from carehub.adapters.identity.oidc import OidcVerifier
from carehub.identity.ports import InvalidExternalToken
from tests.adapters.identity.conftest import EMAIL, CognitoPool

ISSUER = "https://idp.example.org/pool-1"
CLIENT = "carehub-api"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def public_jwk(private: Any, kid: str, alg: str | None) -> dict[str, Any]:
    if isinstance(private, rsa.RSAPrivateKey):
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return jwk | {"kid": kid, "use": "sig"} | ({"alg": alg} if alg else {})


class Jwks:
    """A provider's JWKS endpoint (in-process), counting how often it is asked."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.keys = list(keys)
        self.urls: list[str] = []
        self.status = 200

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        return httpx.Response(self.status, json={"keys": self.keys})

    def verifier(self, **options: Any) -> OidcVerifier:
        client = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))
        return OidcVerifier(ISSUER, http=client, **options)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def jwks() -> Jwks:
    return Jwks(public_jwk(RSA_KEY, "rsa-1", "RS256"), public_jwk(EC_KEY, "ec-1", None))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(oidc, "monotonic", fake)
    return fake


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": CLIENT,
        "iat": now,
        "exp": now + 300,
        "email": "ana@example.org",
        "email_verified": True,
        "cognito:groups": ["doctor"],
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def sign(
    payload: dict[str, Any], *, key: Any = RSA_KEY, kid: str = "rsa-1", alg: str = "RS256"
) -> str:
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


def b64(data: dict[str, Any]) -> bytes:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")


async def refused(verifier: OidcVerifier, token: str, reason: str) -> None:
    with pytest.raises(InvalidExternalToken, match=reason) as caught:
        await verifier.verify(token)
    assert token not in str(caught.value)


# --- real Cognito tokens, from moto, checked against moto's JWKS over HTTP --------------------


async def test_moto_access_token_proves_subject_and_groups(cognito: CognitoPool) -> None:
    verifier = OidcVerifier(cognito.issuer, jwks_url=cognito.jwks_url, audience=cognito.client_id)
    identity = await verifier.verify(cognito.access_token)
    assert (identity.issuer, identity.subject) == (cognito.issuer, cognito.user_sub)
    assert identity.groups == ("doctor",)
    assert identity.email is None  # access tokens carry no email
    assert identity.claims["token_use"] == "access"


async def test_moto_id_token_proves_email_and_groups(cognito: CognitoPool) -> None:
    verifier = OidcVerifier(cognito.issuer, jwks_url=cognito.jwks_url, audience=cognito.client_id)
    identity = await verifier.verify(cognito.id_token)
    assert identity.subject == cognito.user_sub
    assert identity.email == EMAIL
    assert identity.groups == ("doctor",)


async def test_moto_tokens_for_another_client_or_pool_are_refused(cognito: CognitoPool) -> None:
    other_client = OidcVerifier(cognito.issuer, jwks_url=cognito.jwks_url, audience="other")
    other_pool = OidcVerifier(cognito.issuer + "x", jwks_url=cognito.jwks_url)
    for token in (cognito.access_token, cognito.id_token):
        await refused(other_client, token, "wrong audience")
        await refused(other_pool, token, "InvalidIssuerError")


# --- hand-made tokens -----------------------------------------------------------------------


async def test_valid_tokens_verify_from_the_default_jwks_url(jwks: Jwks) -> None:
    verifier = jwks.verifier(audience=CLIENT)
    rsa_identity = await verifier.verify(sign(claims()))
    ec_identity = await verifier.verify(sign(claims(), key=EC_KEY, kid="ec-1", alg="ES256"))
    assert rsa_identity.subject == ec_identity.subject == "user-1"
    assert rsa_identity.email == "ana@example.org"
    assert jwks.urls == [f"{ISSUER}/.well-known/jwks.json"]  # fetched once, then cached


@pytest.mark.parametrize("groups", ["doctor admin", "doctor, admin", ["doctor", "admin"]])
async def test_groups_come_as_a_list_or_a_separated_string(jwks: Jwks, groups: Any) -> None:
    identity = await jwks.verifier(groups_claim="roles").verify(sign(claims(roles=groups)))
    assert identity.groups == ("doctor", "admin")


@pytest.mark.parametrize(("verified", "email"), [(False, None), ("false", None), (None, EMAIL)])
async def test_unverified_email_is_dropped(jwks: Jwks, verified: Any, email: str | None) -> None:
    token = sign(claims(email=EMAIL, email_verified=verified))
    assert (await jwks.verifier().verify(token)).email == email


async def test_audience_is_aud_or_cognito_client_id(jwks: Jwks) -> None:
    verifier = jwks.verifier(audience=CLIENT)
    await verifier.verify(sign(claims(aud=None, client_id=CLIENT)))
    await refused(verifier, sign(claims(aud="other")), "wrong audience")
    await refused(verifier, sign(claims(aud=None, client_id="other")), "wrong audience")
    await refused(verifier, sign(claims(aud=None)), "wrong audience")


async def test_expiry_allows_30_seconds_of_clock_skew(jwks: Jwks) -> None:
    now = int(time.time())
    verifier = jwks.verifier()
    await verifier.verify(sign(claims(iat=now - 600, exp=now - 10)))
    await refused(verifier, sign(claims(iat=now - 600, exp=now - 60)), "ExpiredSignatureError")
    await refused(verifier, sign(claims(iat=now + 120)), "ImmatureSignatureError")


@pytest.mark.parametrize("missing", ["exp", "iat", "iss", "sub"])
async def test_required_claims(jwks: Jwks, missing: str) -> None:
    await refused(jwks.verifier(), sign(claims(**{missing: None})), "rejected")


async def test_wrong_issuer_is_refused(jwks: Jwks) -> None:
    await refused(jwks.verifier(), sign(claims(iss=ISSUER + "-evil")), "InvalidIssuerError")


async def test_unsigned_token_is_refused(jwks: Jwks) -> None:
    token = b".".join([b64({"alg": "none", "kid": "rsa-1"}), b64(claims()), b""]).decode()
    await refused(jwks.verifier(), token, "algorithm not allowed")


async def test_hmac_made_with_the_public_key_is_refused(jwks: Jwks) -> None:
    pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = b".".join([b64({"alg": "HS256", "kid": "rsa-1"}), b64(claims())])
    mac = base64.urlsafe_b64encode(hmac.new(pem, signing_input, hashlib.sha256).digest())
    await refused(jwks.verifier(), (signing_input + b"." + mac.rstrip(b"=")).decode(), "allowed")


async def test_symmetric_keys_in_the_jwks_are_ignored(jwks: Jwks) -> None:
    secret = b"0123456789abcdef0123456789abcdef"
    jwks.keys = [{"kty": "oct", "kid": "hs", "k": base64.urlsafe_b64encode(secret).decode()}]
    await refused(jwks.verifier(), sign(claims(), key=secret, kid="hs", alg="HS256"), "allowed")


async def test_algorithm_must_fit_the_key(jwks: Jwks) -> None:
    verifier = jwks.verifier()
    await refused(verifier, sign(claims(), alg="RS512"), "does not fit")  # key declares RS256
    await refused(verifier, sign(claims(), kid="ec-1"), "does not fit")  # RSA alg, EC key
    await refused(verifier, sign(claims(), key=EC_KEY, alg="ES256"), "does not fit")


async def test_tampered_or_foreign_signatures_are_refused(jwks: Jwks) -> None:
    header, _, signature = sign(claims()).split(".")
    forged = b64(claims(**{"cognito:groups": ["admin"]})).decode()
    verifier = jwks.verifier()
    await refused(verifier, f"{header}.{forged}.{signature}", "InvalidSignatureError")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    await refused(verifier, sign(claims(), key=stranger), "InvalidSignatureError")
    await refused(verifier, "not-a-token", "malformed")


async def test_unknown_kid_refetches_at_most_every_30_seconds(jwks: Jwks, clock: Clock) -> None:
    verifier = jwks.verifier()
    await verifier.verify(sign(claims()))
    rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks.keys.append(public_jwk(rotated, "rsa-2", "RS256"))
    new_token = sign(claims(), key=rotated, kid="rsa-2")
    await refused(verifier, new_token, "unknown signing key")  # fetched just now
    assert len(jwks.urls) == 1
    clock.now += 30
    assert (await verifier.verify(new_token)).subject == "user-1"
    assert len(jwks.urls) == 2
    clock.now += 30
    for _ in range(3):
        await refused(verifier, sign(claims(), key=rotated, kid="rsa-9"), "unknown signing key")
    assert len(jwks.urls) == 3  # one refetch for the burst, not three


async def test_keys_expire_and_survive_an_outage(jwks: Jwks, clock: Clock) -> None:
    verifier = jwks.verifier(jwks_ttl_seconds=600)
    token = sign(claims())
    await verifier.verify(token)
    jwks.status = 503
    clock.now += 600
    await verifier.verify(token)  # stale keys keep working while the provider is down
    assert len(jwks.urls) == 2


async def test_unreachable_jwks_refuses(jwks: Jwks) -> None:
    jwks.status = 500
    await refused(jwks.verifier(), sign(claims()), "unknown signing key")
