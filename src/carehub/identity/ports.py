"""What the identity domain needs from the outside world."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from carehub.identity.model import OtpChallenge, OtpPurpose, RefreshSession, User
from carehub.kernel.pagination import Page
from carehub.kernel.patient_directory import PatientDirectory
from carehub.kernel.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ExternalIdentity:
    """A caller vouched for by an external identity provider (OIDC, e.g. Cognito)."""

    issuer: str
    subject: str
    email: str | None
    groups: tuple[str, ...] = ()
    claims: dict[str, object] = field(default_factory=dict)


class InvalidExternalToken(Exception):
    """The token is not a valid token of the configured external issuer."""


class ExternalTokenVerifier(Protocol):
    """Checks tokens issued by the configured external provider."""

    issuer: str

    async def verify(self, token: str) -> ExternalIdentity:
        """The identity a token proves; raises InvalidExternalToken otherwise."""
        ...


class PasswordHasher(Protocol):
    """Slow, salted hashing for passwords and one-time codes (argon2id)."""

    def hash(self, secret: str) -> str: ...

    def verify(self, hashed: str, secret: str) -> bool:
        """True when `secret` matches; never raises for a mismatch."""
        ...

    def needs_rehash(self, hashed: str) -> bool: ...


@dataclass(frozen=True, kw_only=True)
class AccessClaims:
    """What a carehub access token says about its bearer."""

    user_id: str
    role: str
    session_id: str | None
    country_id: str | None = None
    patient_id: str | None = None
    practitioner_id: str | None = None


class InvalidAccessToken(Exception):
    """Not a valid, current carehub access token (reason is for logs, not clients)."""


class AccessTokens(Protocol):
    """Signs and checks carehub's own short-lived access tokens (asymmetric keys)."""

    issuer: str
    ttl_seconds: int

    async def issue(self, claims: AccessClaims) -> str: ...

    async def verify(self, token: str) -> AccessClaims:
        """The claims of a valid token; raises InvalidAccessToken otherwise."""
        ...

    async def public_keys(self) -> list[dict[str, object]]:
        """The JWKS `keys`: every key a token still in circulation may be signed with."""
        ...

    async def rotate(self) -> str:
        """Start signing with a new key; older keys keep verifying. Returns the new kid."""
        ...


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Insert; raises EmailTaken when the email is registered already and
        PatientLinkTaken when another account links the same patient record."""
        ...

    async def get(self, user_id: str) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None: ...

    async def replace(self, user: User, *, expected_version: int) -> bool:
        """Conditional update; raises as `add` does for a taken email or patient link."""
        ...

    async def admin_exists(self) -> bool: ...

    async def lock_active_admins(self) -> frozenset[str]:
        """The ids of the active admins, locked until the unit of work ends: of two
        changes that would each leave the other as the last admin, the second waits for
        the first and then sees its result."""
        ...

    async def list(self, *, cursor: str | None, limit: int) -> Page[User]: ...


class SessionRepository(Protocol):
    async def add(self, session: RefreshSession) -> None: ...

    async def get(self, token_hash: str) -> RefreshSession | None: ...

    async def mark_rotated(self, token_hash: str, at: datetime) -> bool:
        """Mark a usable token as used; False if it was rotated or revoked meanwhile."""
        ...

    async def revoke_family(self, family_id: str, at: datetime) -> None: ...

    async def revoke_user(self, user_id: str, at: datetime) -> None: ...

    async def signed_in_user(self, family_id: str, *, now: datetime) -> User | None:
        """The user of a session family that is neither revoked nor expired at `now`
        (None otherwise): one indexed read of the session joined with its user, which every
        request with a carehub access token makes."""
        ...


class OtpRepository(Protocol):
    async def put(self, challenge: OtpChallenge) -> None:
        """Store the challenge, replacing any earlier one for the same email and purpose."""
        ...

    async def get(self, email: str, purpose: OtpPurpose) -> OtpChallenge | None: ...

    async def replace(self, challenge: OtpChallenge) -> None: ...


class IdentityUnitOfWork(UnitOfWork, Protocol):
    @property
    def users(self) -> UserRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def otps(self) -> OtpRepository: ...

    @property
    def patient_directory(self) -> PatientDirectory:
        """Whether a patient record exists, checked when an account links to it."""
        ...


@dataclass(frozen=True, kw_only=True)
class SelfRegistration:
    """What a signing-up patient tells about themselves, for their patient record."""

    patient_id: str
    country_id: str
    given: tuple[str, ...]
    family: str
    birth_date: date | None
    email: str


class PatientRecords(Protocol):
    """The patients domain, as identity needs it at sign-up (wired in bootstrap)."""

    async def register_self(self, registration: SelfRegistration) -> None:
        """Create the record; doing it again with the same patient_id is a no-op."""
        ...

    async def country_exists(self, country_id: str) -> bool:
        """Whether patients may be registered in this country (a record has this id)."""
        ...
