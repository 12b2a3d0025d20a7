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
    """Reading the stored chain (entries are only ever appended by units of work)."""

    async def search(
        self, criteria: AuditFilter, *, cursor: str | None, limit: int
    ) -> Page[AuditEntry]: ...

    async def scan(self, *, after_seq: int, limit: int) -> list[AuditEntry]:
        """Entries with seq > after_seq in sequence order (for verification)."""
        ...

    async def head(self) -> ChainHead | None:
        """The stored chain head: `EMPTY_CHAIN` before the first entry; None only when the
        store has lost it (verification then relies on the entries alone)."""
        ...


class AuditUnitOfWork(UnitOfWork, Protocol):
    @property
    def audit_log(self) -> AuditLog: ...
