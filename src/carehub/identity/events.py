"""The identity domain's events: account ids, roles and the names of changed fields."""

from __future__ import annotations

from dataclasses import dataclass

from typing_extensions import TypedDict  # pydantic reads it on 3.11 (the event catalogue)

from carehub.kernel.events import DomainEvent


class UserPayload(TypedDict):
    userId: str


class UserCreatedPayload(UserPayload):
    role: str
    countryId: str | None


class UserChangedPayload(UserPayload):
    changedFields: list[str]


@dataclass(frozen=True, kw_only=True)
class UserCreated(DomainEvent):
    """An account was created (by an admin, at sign-up, or as the bootstrap admin)."""

    event_type = "identity.user_created.v1"
    role: str
    country_id: str | None

    def payload(self) -> UserCreatedPayload:
        return {"userId": self.aggregate_id, "role": self.role, "countryId": self.country_id}


@dataclass(frozen=True, kw_only=True)
class UserChanged(DomainEvent):
    """An account's role, status, country or links changed."""

    event_type = "identity.user_changed.v1"
    changed_fields: tuple[str, ...]

    def payload(self) -> UserChangedPayload:
        return {"userId": self.aggregate_id, "changedFields": list(self.changed_fields)}


@dataclass(frozen=True, kw_only=True)
class UserActivated(DomainEvent):
    """An account became active (its email was verified)."""

    event_type = "identity.user_activated.v1"

    def payload(self) -> UserPayload:
        return {"userId": self.aggregate_id}
