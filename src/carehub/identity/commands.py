"""The plain data identity use cases take and return."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from carehub.identity.model import UserStatus
from carehub.identity.ports import ExternalIdentity
from carehub.kernel.actor import Actor, Role

FollowUp = Callable[[], Awaitable[None]]
"""Work a use case leaves for after its answer is sent (mail): what it costs then says
nothing, through the answer's timing, about whether an account exists."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class SignInLimits:
    """Attempts allowed per window, per account (hashed email) and per client address."""

    per_account: int = 10
    per_address: int = 100
    window_seconds: int = 900


@dataclass(frozen=True, kw_only=True)
class NewUser:
    email: str
    role: Role
    password: str | None = None
    country_id: str | None = None
    patient_id: str | None = None
    practitioner_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class UserChanges:
    """An admin's edit of an account; None leaves a field as it is."""

    role: Role | None = None
    status: UserStatus | None = None
    country_id: str | None = None
    patient_id: str | None = None
    practitioner_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Signup:
    email: str
    password: str
    country_id: str
    given: tuple[str, ...]
    family: str
    birth_date: date | None = None


@dataclass(frozen=True)
class ExternalRoles:
    """How an external provider's groups map to carehub roles (first match wins)."""

    by_group: dict[str, Role]
    country_claim: str = "custom:countryId"

    def role_of(self, identity: ExternalIdentity) -> Role | None:
        return next((self.by_group[g] for g in identity.groups if g in self.by_group), None)

    def actor_without_account(self, identity: ExternalIdentity, role: Role) -> Actor | None:
        """Admins and staff need only the token; doctors and patients need the links
        that only a carehub account holds (None then)."""
        if role not in (Role.ADMIN, Role.STAFF):
            return None
        country = identity.claims.get(self.country_claim)
        return Actor(
            id=f"oidc:{identity.subject}",
            role=role,
            country_id=country if isinstance(country, str) else None,
        )
