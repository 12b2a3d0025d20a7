"""The stored audit chain read from memory (`carehub.audit.ports.AuditLog`)."""

from __future__ import annotations

from carehub.adapters.memory.pages import page_of
from carehub.adapters.memory.store import MemoryStore
from carehub.audit.model import AuditEntry, ChainHead
from carehub.audit.ports import AuditFilter
from carehub.kernel.pagination import Page, cursor_position


class MemoryAuditLog:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def search(
        self, criteria: AuditFilter, *, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        before = None if cursor is None else cursor_position(cursor, "before", int)
        found = [
            e
            for e in reversed(self._store.audit)
            if (before is None or e.seq < before) and _matches(e, criteria)
        ]
        return page_of(found, limit, lambda e: {"before": e.seq})

    async def scan(self, *, after_seq: int, limit: int) -> list[AuditEntry]:
        return [e for e in self._store.audit if e.seq > after_seq][:limit]

    async def head(self) -> ChainHead | None:
        return self._store.audit_head


def _matches(e: AuditEntry, c: AuditFilter) -> bool:
    return (
        (c.patient_id is None or c.patient_id in e.patient_ids)
        and c.actor_id in (None, e.actor_id)
        and c.action in (None, e.action)
        and (c.since is None or e.at >= c.since)
        and (c.until is None or e.at < c.until)
    )
