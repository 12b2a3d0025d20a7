"""Idempotent POSTs: the key is stored in the same transaction as the change it made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from carehub.kernel.errors import Conflict

REPLAY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class IdempotencyClaim:
    """A client's key for one request, scoped to the caller and the route."""

    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class StoredOutcome:
    """What a committed request with this key did.

    `status`/`body` are the first response once recorded; `resource_id` names what was
    created, so the response can be rebuilt if the process stopped before recording it.
    """

    fingerprint: str
    resource_id: str | None
    status: int | None
    body: bytes | None


class IdempotencyKeyRaced(Conflict):
    """Another request with the same key committed first."""


class IdempotencyStore(Protocol):
    """Idempotency records, outside any unit of work (each call is its own transaction)."""

    async def find(self, scope: str, key: str) -> StoredOutcome | None:
        """The outcome stored for this key within the replay window, if any."""
        ...

    async def record_response(self, scope: str, key: str, status: int, body: bytes) -> None:
        """Attach the first response to a committed claim."""
        ...
