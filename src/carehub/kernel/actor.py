"""Who is acting, passed into every use case so access rules and audit can use it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    """What a principal may do. A user has exactly one role; `system` is for operators
    (CLI) and background processes acting on their own behalf."""

    ADMIN = "admin"
    DOCTOR = "doctor"
    STAFF = "staff"
    PATIENT = "patient"
    SYSTEM = "system"


@dataclass(frozen=True)
class ExternalSubject:
    """Who an external identity provider (OpenID Connect) says the caller is."""

    issuer: str
    subject: str
    email: str | None = None


@dataclass(frozen=True)
class Actor:
    """The principal behind a call plus where the call came from."""

    id: str
    role: Role
    country_id: str | None = None
    patient_id: str | None = None
    practitioner_id: str | None = None
    session_id: str | None = None
    request_id: str | None = None
    client_address: str | None = None
    # Set when an external provider's token, not a carehub session, proved the actor.
    external: ExternalSubject | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """An operator or background process acting on its own behalf."""
        return cls(id=f"system:{name}", role=Role.SYSTEM)

    @property
    def unrestricted(self) -> bool:
        """Admins and system processes see every record."""
        return self.role in (Role.ADMIN, Role.SYSTEM)


class Authenticator(Protocol):
    """Turns a bearer token into the actor it proves (raises Unauthenticated otherwise)."""

    async def authenticate(
        self, token: str, *, request_id: str | None, client: str | None
    ) -> Actor: ...
