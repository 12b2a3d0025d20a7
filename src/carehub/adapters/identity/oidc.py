"""Tokens of an external OpenID Connect provider, checked against its published JWKS.

Defaults fit AWS Cognito user pools: the JWKS lives at `{issuer}/.well-known/jwks.json`
and groups come in `cognito:groups`. Only asymmetric signatures are accepted, and only with
the algorithm the signing key declares or fits, so neither `alg: none` nor an HMAC made
with the public key (algorithm confusion) can pass.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from time import monotonic
from typing import Any

import httpx
import jwt

from carehub.identity.ports import ExternalIdentity, InvalidExternalToken

RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
EC_ALGORITHMS = {"P-256": "ES256", "P-384": "ES384"}
ALLOWED_ALGORITHMS = RSA_ALGORITHMS | frozenset(EC_ALGORITHMS.values())
LEEWAY_SECONDS = 30
# Whatever the reason (expiry, unknown kid, outage), the provider is asked at most this often.
FETCH_AT_MOST_EVERY_SECONDS = 30.0
_SEPARATORS = re.compile(r"[\s,]+")


class OidcVerifier:
    """Verifies an external provider's ID and access tokens (an ExternalTokenVerifier)."""

    def __init__(
        self,
        issuer: str,
        *,
        jwks_url: str | None = None,
        audience: str | None = None,
        groups_claim: str = "cognito:groups",
        http: httpx.AsyncClient | None = None,
        jwks_ttl_seconds: int = 3600,
    ) -> None:
        self.issuer = issuer
        self.jwks_url = jwks_url or f"{issuer.rstrip('/')}/.well-known/jwks.json"
        self.audience = audience
        self.groups_claim = groups_claim
        self._http = http
        self._ttl = jwks_ttl_seconds
        self._keys: dict[str, dict[str, jwt.PyJWK]] = {}  # kid -> algorithm -> key
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> ExternalIdentity:
        """The identity a token proves; raises InvalidExternalToken otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidExternalToken("malformed token") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise InvalidExternalToken("signature algorithm not allowed")
        if not isinstance(kid, str):
            raise InvalidExternalToken("token names no signing key")
        keys = await self._keys_for(kid)
        if keys is None:
            raise InvalidExternalToken("unknown signing key")
        key = keys.get(algorithm)
        if key is None:
            raise InvalidExternalToken("algorithm does not fit the signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidExternalToken(f"rejected: {type(exc).__name__}") from None
        return self._identity(claims)

    def _identity(self, claims: dict[str, Any]) -> ExternalIdentity:
        subject = claims.get("sub")
        if claims.get("iss") != self.issuer or not isinstance(subject, str) or not subject:
            raise InvalidExternalToken("bad issuer or subject")
        if self.audience is not None and not self._for_audience(claims):
            raise InvalidExternalToken("wrong audience")
        email = claims.get("email")
        verified = claims.get("email_verified")
        # Cognito sends a boolean; some providers (and moto) send the string "false".
        if not isinstance(email, str) or verified is False or verified == "false":
            email = None
        return ExternalIdentity(
            issuer=self.issuer,
            subject=subject,
            email=email,
            groups=_groups(claims.get(self.groups_claim)),
            claims=claims,
        )

    def _for_audience(self, claims: Mapping[str, Any]) -> bool:
        # ID tokens carry `aud`; Cognito access tokens carry `client_id` instead.
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        return self.audience in audiences or claims.get("client_id") == self.audience

    async def _keys_for(self, kid: str) -> dict[str, jwt.PyJWK] | None:
        async with self._lock:
            now = monotonic()
            stale = self._fetched_at is None or now - self._fetched_at >= self._ttl
            may_fetch = (
                self._attempted_at is None
                or now - self._attempted_at >= FETCH_AT_MOST_EVERY_SECONDS
            )
            # An unknown kid usually means the provider rotated its keys.
            if (stale or kid not in self._keys) and may_fetch:
                self._attempted_at = now
                try:
                    self._keys = _parse_jwks(await self._fetch())
                    self._fetched_at = now
                except (httpx.HTTPError, ValueError):
                    pass  # keep the keys we had; the provider is asked again later
            return self._keys.get(kid)

    async def _fetch(self) -> Any:
        if self._http is not None:
            response = await self._http.get(self.jwks_url)
        else:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(self.jwks_url)
        response.raise_for_status()
        return response.json()


def _parse_jwks(document: Any) -> dict[str, dict[str, jwt.PyJWK]]:
    """Signing keys by kid, each with the algorithms it may verify."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    keys: dict[str, dict[str, jwt.PyJWK]] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        by_algorithm: dict[str, jwt.PyJWK] = {}
        for algorithm in _algorithms(jwk):
            try:
                by_algorithm[algorithm] = jwt.PyJWK(jwk, algorithm=algorithm)
            except (jwt.PyJWTError, ValueError, KeyError, TypeError):  # a malformed key
                continue
        if by_algorithm:
            keys[jwk["kid"]] = by_algorithm
    return keys


def _algorithms(jwk: Mapping[str, Any]) -> frozenset[str]:
    """The allowed algorithms that fit the key's type and curve (and its `alg`, if any)."""
    if jwk.get("kty") == "RSA":
        fitting = RSA_ALGORITHMS
    elif jwk.get("kty") == "EC" and jwk.get("crv") in EC_ALGORITHMS:
        fitting = frozenset({EC_ALGORITHMS[jwk["crv"]]})
    else:
        return frozenset()
    declared = jwk.get("alg")
    return fitting if declared is None else fitting & {declared}


def _groups(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(group for group in _SEPARATORS.split(value) if group)
    if isinstance(value, list):
        return tuple(group for group in value if isinstance(group, str) and group)
    return ()
