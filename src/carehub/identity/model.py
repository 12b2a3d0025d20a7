"""Users, sign-in sessions and one-time codes. Pure Python: no framework, no storage."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import FieldError, Invalid

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
# The most common passwords of 12+ characters (breach lists); longer lists belong in a
# deployment's own policy, this stops the obvious.
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "password1234",
        "password12345",
        "passwordpassword",
        "qwertyuiopas",
        "qwerty123456",
        "111111111111",
        "000000000000",
        "aaaaaaaaaaaa",
        "abcdefghijkl",
        "iloveyou1234",
        "letmein12345",
        "welcome12345",
        "administrator",
        "changeme1234",
    }
)
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
OTP_TTL = timedelta(minutes=10)
OTP_MAX_TRIES = 5
REFRESH_TTL = timedelta(days=30)
ASSIGNABLE_ROLES = (Role.ADMIN, Role.DOCTOR, Role.STAFF, Role.PATIENT)


class UserStatus(StrEnum):
    PENDING = "pending_verification"
    ACTIVE = "active"
    DISABLED = "disabled"


class OtpPurpose(StrEnum):
    LOGIN = "login"
    SIGNUP = "signup"


@dataclass(frozen=True)
class SignupProfile:
    """What a signing-up patient said about themselves, kept until the email is confirmed
    (only then is their patient record created)."""

    given: tuple[str, ...]
    family: str
    birth_date: date | None = None


@dataclass(frozen=True, kw_only=True)
class User:
    """An account. The email is stored normalised (trimmed, lower-case) and unique."""

    id: str
    email: str
    role: Role
    status: UserStatus
    country_id: str | None
    patient_id: str | None
    practitioner_id: str | None
    password_hash: str | None
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    signup_profile: SignupProfile | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def after_failed_login(self, now: datetime) -> User:
        """Count a wrong password; the fifth in a row locks the account for a while."""
        failures = self.failed_logins + 1
        locked_until = now + LOCKOUT if failures >= MAX_FAILED_LOGINS else self.locked_until
        return self._changed(now, failed_logins=failures, locked_until=locked_until)

    def after_login(self, now: datetime) -> User:
        return self._changed(now, failed_logins=0, locked_until=None)

    def activated(self, now: datetime) -> User:
        return self._changed(now, status=UserStatus.ACTIVE, signup_profile=None)

    def _changed(self, now: datetime, **fields: object) -> User:
        return replace(self, updated_at=now, version=self.version + 1, **fields)  # type: ignore[arg-type]

    def actor(self, *, session_id: str | None = None) -> Actor:
        return Actor(
            id=self.id,
            role=self.role,
            country_id=self.country_id,
            patient_id=self.patient_id,
            practitioner_id=self.practitioner_id,
            session_id=session_id,
        )


@dataclass(frozen=True, kw_only=True)
class RefreshSession:
    """One refresh token (stored as a hash). Rotation chains tokens into a family; reusing
    an already rotated token means it was stolen, so the whole family is revoked."""

    token_hash: str
    family_id: str
    user_id: str
    issued_at: datetime
    expires_at: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.rotated_at is None and self.revoked_at is None and self.expires_at > now


@dataclass(frozen=True, kw_only=True)
class OtpChallenge:
    """A one-time code sent by mail: stored hashed, single use, limited tries."""

    email: str
    purpose: OtpPurpose
    code_hash: str
    expires_at: datetime
    attempts: int = 0
    consumed_at: datetime | None = None

    def open(self, now: datetime) -> bool:
        return self.consumed_at is None and self.expires_at > now and self.attempts < OTP_MAX_TRIES

    def after_wrong_code(self) -> OtpChallenge:
        return replace(self, attempts=self.attempts + 1)

    def consumed(self, now: datetime) -> OtpChallenge:
        return replace(self, consumed_at=now)


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased; refuses what cannot be an address."""
    value = email.strip().lower()
    if len(value) > 254 or not EMAIL.fullmatch(value):
        raise Invalid("email is not a valid address", errors=[FieldError("email", "not valid")])
    return value


def check_password(password: str, email: str) -> None:
    """A length-first policy (NIST SP 800-63B): 12+ characters, not common, not the email."""
    problem = None
    if len(password) < MIN_PASSWORD_LENGTH:
        problem = f"must have at least {MIN_PASSWORD_LENGTH} characters"
    elif len(password) > MAX_PASSWORD_LENGTH:
        problem = f"must have at most {MAX_PASSWORD_LENGTH} characters"
    elif password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        problem = "is too easy to guess"
    elif email.split("@")[0] in password.lower():
        problem = "must not contain the email address"
    if problem:
        raise Invalid(f"password {problem}", errors=[FieldError("password", problem)])


def refresh_token_hash(token: str) -> str:
    """How a refresh token is stored: it carries 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()
