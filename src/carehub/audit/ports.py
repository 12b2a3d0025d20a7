"""What the audit domain needs from storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from carehub.audit.model import AuditEntry, ChainHead
from carehub.kernel.pagination import Page
from carehub.kernel.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class AuditFilter:
    """Criteria for reading the trail; they combine with AND. Newest entries come first."""

    patient_id: str | None = None
    actor_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditLog(Protocol):
    """Reading the stored trail (entries are only ever appended by units of work).

    The trail is sharded (`carehub.audit.model`): a search reads every shard, newest first
    by (`at`, `shard`, `seq`); verification reads each shard in sequence order.
    """

    async def search(
        self, criteria: AuditFilter, *, cursor: str | None, limit: int
    ) -> Page[AuditEntry]: ...

    async def shards(self) -> list[int]:
        """The shards that hold entries (or a stored head), in order."""
        ...

    async def scan(self, *, shard: int, after_seq: int, limit: int) -> list[AuditEntry]:
        """A shard's entries with seq > after_seq in sequence order (for verification)."""
        ...

    async def stored_heads(self) -> dict[int, ChainHead]:
        """The heads the store keeps apart from the entries, by shard: they reveal a removed
        tail. Empty where a shard's head is its last entry (DynamoDB); a shard missing here
        is verified by its entries and the links naming them alone."""
        ...


class AuditUnitOfWork(UnitOfWork, Protocol):
    @property
    def audit_log(self) -> AuditLog: ...
