"""Request and response bodies of sign-in and user administration."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from carehub.identity.commands import NewUser, Signup, TokenPair, UserChanges
from carehub.identity.model import User, UserStatus
from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Forbidden
from carehub.web.schemas import CursorPage, WireModel
from carehub.web.text import NAME, ONE_LINE, OPAQUE

Email = Annotated[str, StringConstraints(min_length=3, max_length=254), ONE_LINE]
# Compared as sent (hashed or looked up byte for byte), so never normalised.
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024), OPAQUE]
Token = Annotated[str, StringConstraints(max_length=512), OPAQUE]
Code = Annotated[str, StringConstraints(min_length=1, max_length=16), ONE_LINE]
RefId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"), ONE_LINE]
CountryId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"), ONE_LINE]
PersonName = Annotated[str, StringConstraints(min_length=1, max_length=100), NAME]
Refused = Annotated[str, StringConstraints(max_length=64), ONE_LINE]
AssignableRole = Literal["admin", "doctor", "staff", "patient"]


class LoginRequest(WireModel):
    email: Email
    password: Password


class RefreshRequest(WireModel):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=512), OPAQUE]


class LogoutRequest(WireModel):
    refresh_token: Token | None = None


class CodeRequest(WireModel):
    email: Email


class VerifyCodeRequest(WireModel):
    email: Email
    code: Code


class TokenRead(WireModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (the OAuth token type, not a secret)
    expires_in: int = Field(description="Seconds until the access token expires.")

    @classmethod
    def of(cls, pair: TokenPair) -> TokenRead:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
        )


class Accepted(WireModel):
    detail: str


class SignupNameWrite(WireModel):
    given: list[PersonName] = Field(max_length=5)
    family: PersonName


class SignupRequest(WireModel):
    """A patient creating their own account. Role, status and links are not theirs to
    choose: sending them is refused (403), never silently ignored."""

    email: Email
    password: Password
    country_id: CountryId
    name: SignupNameWrite
    birth_date: date | None = None
    role: Refused | None = Field(None, description="Refused: accounts made here are patients.")
    status: Refused | None = Field(None, description="Refused.")
    patient_id: Refused | None = Field(None, description="Refused.")
    practitioner_id: Refused | None = Field(None, description="Refused.")

    def to_signup(self) -> Signup:
        refused = [
            name
            for name in ("role", "status", "patient_id", "practitioner_id")
            if getattr(self, name) is not None
        ]
        if refused:
            raise Forbidden(f"Sign-up cannot set: {', '.join(refused)}")
        return Signup(
            email=self.email,
            password=self.password,
            country_id=self.country_id,
            given=tuple(self.name.given),
            family=self.name.family,
            birth_date=self.birth_date,
        )


class UserCreate(WireModel):
    email: Email
    role: AssignableRole
    password: Password | None = Field(
        None, description="Leave out for accounts that sign in with emailed codes only."
    )
    country_id: CountryId | None = None
    patient_id: RefId | None = None
    practitioner_id: RefId | None = None

    def to_new_user(self) -> NewUser:
        return NewUser(
            email=self.email,
            role=Role(self.role),
            password=self.password,
            country_id=self.country_id,
            patient_id=self.patient_id,
            practitioner_id=self.practitioner_id,
        )


class UserUpdate(WireModel):
    role: AssignableRole | None = None
    status: Literal["active", "disabled"] | None = None
    country_id: CountryId | None = None
    patient_id: RefId | None = None
    practitioner_id: RefId | None = None

    def to_changes(self) -> UserChanges:
        return UserChanges(
            role=Role(self.role) if self.role else None,
            status=UserStatus(self.status) if self.status else None,
            country_id=self.country_id,
            patient_id=self.patient_id,
            practitioner_id=self.practitioner_id,
        )


class UserRead(WireModel):
    id: str
    email: str
    role: str
    status: str
    country_id: str | None
    patient_id: str | None
    practitioner_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserRead:
        return cls(
            id=user.id,
            email=user.email,
            role=user.role.value,
            status=user.status.value,
            country_id=user.country_id,
            patient_id=user.patient_id,
            practitioner_id=user.practitioner_id,
            created_at=user.created_at,
        )


class ExternalRead(WireModel):
    issuer: str
    subject: str


class MeRead(WireModel):
    """The signed-in principal: their carehub account, and, when an external OpenID
    Connect provider signed them in, that provider's issuer and subject. Without a carehub
    account, `id` is `oidc:<subject>`, the email is the token's (if any), `createdAt` is
    null and the role is the one mapped from the provider's groups."""

    id: str
    email: str | None
    role: str = Field(
        description="The role in force: for external principals, mapped from their groups."
    )
    status: str
    country_id: str | None
    patient_id: str | None
    practitioner_id: str | None
    created_at: datetime | None
    external: ExternalRead | None = Field(
        description="The external provider that signed the principal in; null for carehub sign-in."
    )

    @classmethod
    def of(cls, actor: Actor, user: User | None) -> MeRead:
        external = actor.external
        provider = (
            None
            if external is None
            else ExternalRead(issuer=external.issuer, subject=external.subject)
        )
        if user is None:
            return cls(
                id=actor.id,
                email=None if external is None else external.email,
                role=actor.role.value,
                status=UserStatus.ACTIVE.value,
                country_id=actor.country_id,
                patient_id=None,
                practitioner_id=None,
                created_at=None,
                external=provider,
            )
        return cls(
            id=user.id,
            email=user.email,
            role=actor.role.value,
            status=user.status.value,
            country_id=user.country_id,
            patient_id=user.patient_id,
            practitioner_id=user.practitioner_id,
            created_at=user.created_at,
            external=provider,
        )


class UserPage(CursorPage[UserRead]):
    """One page of user accounts."""


class Jwks(WireModel):
    keys: list[dict[str, object]]
