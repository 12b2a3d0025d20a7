"""carehub's access tokens: ES256 JWTs signed with keys kept in the store (a
`SigningKeyStore`), sealed by the secret box (never in plain text).

Every process reads the same keys, so tokens issued by one API worker verify in all of
them. Rotation starts signing with a new key and keeps the old ones verifying (and in the
JWKS) until every token they signed has expired, so nobody is signed out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from carehub.adapters.identity.signing_keys import SigningKeyStore, StoredSigningKey
from carehub.identity.ports import AccessClaims, InvalidAccessToken
from carehub.kernel.clock import Clock
from carehub.kernel.ids import new_id
from carehub.kernel.secret_box import SecretBox

ALGORITHM = "ES256"
AUDIENCE = "carehub"
_RELOAD_AT_MOST_EVERY = 1.0
# A signature check costs more than the rest of a read; each token is checked once per
# process and its claims kept until it expires. The bound keeps memory flat under floods.
_VERIFIED_TOKENS_KEPT = 50_000


@dataclass(frozen=True)
class _Key:
    kid: str
    private: ec.EllipticCurvePrivateKey
    public: ec.EllipticCurvePublicKey
    public_jwk: dict[str, Any]
    current: bool


class JwtAccessTokens:
    def __init__(
        self,
        keys: SigningKeyStore,
        clock: Clock,
        *,
        secrets: SecretBox,
        issuer: str,
        ttl_seconds: int,
    ) -> None:
        self._store = keys
        self._secrets = secrets
        self._clock = clock
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds
        self._keys: dict[str, _Key] = {}
        self._signing: _Key | None = None
        self._loaded_at = 0.0
        self._verified: dict[str, tuple[AccessClaims, int]] = {}

    async def issue(self, claims: AccessClaims) -> str:
        key = await self._signing_key()
        now = int(self._clock.now().timestamp())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": claims.user_id,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": new_id(),
            "role": claims.role,
        }
        optional = {
            "sid": claims.session_id,
            "country": claims.country_id,
            "pid": claims.patient_id,
            "prid": claims.practitioner_id,
        }
        payload.update({name: value for name, value in optional.items() if value is not None})
        return jwt.encode(payload, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})

    async def verify(self, token: str) -> AccessClaims:
        known = self._verified.get(token)
        if known is not None:
            claims, expires = known
            if time.time() < expires:  # the clock PyJWT checks `exp` against
                return claims
            del self._verified[token]
            raise InvalidAccessToken("ExpiredSignatureError")
        claims, expires = await self._check(token)
        if len(self._verified) >= _VERIFIED_TOKENS_KEPT:
            self._verified.clear()
        self._verified[token] = (claims, expires)
        return claims

    async def _check(self, token: str) -> tuple[AccessClaims, int]:
        """The token's claims and expiry, after checking its signature and claims."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise InvalidAccessToken("not a JWT") from exc
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None and isinstance(kid, str):
            await self._load(force=False)
            key = self._keys.get(kid)
        if key is None:
            raise InvalidAccessToken("unknown signing key")
        try:
            data = jwt.decode(
                token,
                key.public,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud", "role"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidAccessToken(type(exc).__name__) from exc
        claims = AccessClaims(
            user_id=str(data["sub"]),
            role=str(data["role"]),
            session_id=data.get("sid"),
            country_id=data.get("country"),
            patient_id=data.get("pid"),
            practitioner_id=data.get("prid"),
        )
        return claims, int(data["exp"])

    async def public_keys(self) -> list[dict[str, object]]:
        await self._load(force=False)
        return [key.public_jwk for key in self._keys.values()]

    async def rotate(self) -> str:
        key = self._new_key()
        await self._store.rotate_to(key)
        await self._load(force=True)
        return key.kid

    async def _signing_key(self) -> _Key:
        if self._signing is None:
            await self._load(force=True)
        if self._signing is None:
            await self.rotate()
        assert self._signing is not None
        return self._signing

    async def _load(self, *, force: bool) -> None:
        if not force and time.monotonic() - self._loaded_at < _RELOAD_AT_MOST_EVERY:
            return
        self._loaded_at = time.monotonic()
        stored = await self._store.all()
        # Superseded keys verify until the longest-lived token they signed has expired.
        oldest_valid = self._clock.now() - timedelta(seconds=self.ttl_seconds + 60)
        keys: dict[str, _Key] = {}
        for row in stored:
            superseded = row.superseded_at
            if superseded is not None and superseded < oldest_valid:
                continue
            pem = self._secrets.open(row.sealed_private_pem)
            private = serialization.load_pem_private_key(pem.encode(), None)
            assert isinstance(private, ec.EllipticCurvePrivateKey)
            keys[row.kid] = _Key(
                row.kid, private, private.public_key(), row.public_jwk, superseded is None
            )
        self._keys = keys
        current = [key for key in keys.values() if key.current]
        self._signing = current[-1] if current else None

    def _new_key(self) -> StoredSigningKey:
        private = ec.generate_private_key(ec.SECP256R1())
        kid = new_id()
        jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
        jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return StoredSigningKey(
            kid=kid,
            algorithm=ALGORITHM,
            sealed_private_pem=self._secrets.seal(pem),
            public_jwk=jwk,
            created_at=self._clock.now(),
        )
