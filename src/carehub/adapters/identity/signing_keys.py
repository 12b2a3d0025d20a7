"""Where carehub's token signing keys are kept: the seam between `JwtAccessTokens` and a
store (SQL table, DynamoDB items). The store holds private keys only as the secret box
sealed them; sealing and opening stay with the tokens, so every store gets the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, kw_only=True)
class StoredSigningKey:
    kid: str
    algorithm: str
    sealed_private_pem: str
    public_jwk: dict[str, Any]
    created_at: datetime
    # Set when a newer key took over signing; the key keeps verifying a while after.
    superseded_at: datetime | None = None


class SigningKeyStore(Protocol):
    async def all(self) -> list[StoredSigningKey]:
        """Every stored key, oldest first."""
        ...

    async def rotate_to(self, key: StoredSigningKey) -> None:
        """Store `key` and mark every key that was signing superseded at its creation
        time, in one transaction."""
        ...
