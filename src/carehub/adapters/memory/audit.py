"""The stored audit trail read from memory (`carehub.audit.ports.AuditLog`)."""

from __future__ import annotations

from carehub.adapters.memory.store import MemoryStore
from carehub.audit.model import AuditEntry, ChainHead, TrailPosition
from carehub.audit.ports import AuditFilter
from carehub.kernel.pagination import Page


class MemoryAuditLog:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def search(
        self, criteria: AuditFilter, *, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        before = None if cursor is None else TrailPosition.from_cursor(cursor)
        found = sorted(
            (
                e
                for e in self._store.audit
                if _matches(e, criteria) and (before is None or TrailPosition.of(e) < before)
            ),
            key=TrailPosition.of,
            reverse=True,
        )
        items = found[:limit]
        more = len(found) > limit
        return Page(items, TrailPosition.of(items[-1]).cursor() if more else None)

    async def shards(self) -> list[int]:
        return sorted({e.shard for e in self._store.audit} | self._store.audit_heads.keys())

    async def scan(self, *, shard: int, after_seq: int, limit: int) -> list[AuditEntry]:
        entries = (e for e in self._store.audit if e.shard == shard and e.seq > after_seq)
        return sorted(entries, key=lambda e: e.seq)[:limit]

    async def stored_heads(self) -> dict[int, ChainHead]:
        return dict(self._store.audit_heads)


def _matches(e: AuditEntry, c: AuditFilter) -> bool:
    return (
        (c.patient_id is None or c.patient_id in e.patient_ids)
        and c.actor_id in (None, e.actor_id)
        and c.action in (None, e.action)
        and (c.since is None or e.at >= c.since)
        and (c.until is None or e.at < c.until)
    )
