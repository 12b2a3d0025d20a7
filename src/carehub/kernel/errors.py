"""Error kinds. Only the HTTP layer maps a kind to a status code (in one place)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; `field` is a dotted camelCase path."""

    field: str
    message: str


class CarehubError(Exception):
    """Base of every error a use case may raise on purpose."""

    kind = "error"
    title = "Error"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors: list[FieldError] = errors or []


class NotFound(CarehubError):
    kind = "not-found"
    title = "Not found"


class Conflict(CarehubError):
    kind = "conflict"
    title = "Conflict"


class Forbidden(CarehubError):
    kind = "forbidden"
    title = "Forbidden"


class Invalid(CarehubError):
    kind = "invalid"
    title = "Invalid input"


class PreconditionFailed(CarehubError):
    kind = "precondition-failed"
    title = "Precondition failed"


class PreconditionRequired(CarehubError):
    kind = "precondition-required"
    title = "Precondition required"


class TooMany(CarehubError):
    """Too many requests; `retry_after` seconds until trying again makes sense."""

    kind = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unauthenticated(CarehubError):
    """No valid credentials came with the request."""

    kind = "unauthenticated"
    title = "Unauthenticated"
