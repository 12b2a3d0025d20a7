"""Audit entries and their hash chain.

Each entry's hash covers its own fields and the previous entry's hash, so changing,
removing or reordering any stored entry breaks every hash after it. The chain head (last
sequence number and hash) is stored separately, which also reveals removed tail entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import orjson

from carehub.kernel.audit import AccessRecord

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """One stored, chained audit entry."""

    seq: int
    at: datetime
    actor_id: str
    actor_role: str
    action: str
    resource_type: str
    resource_id: str | None
    patient_ids: tuple[str, ...]
    outcome: str
    request_id: str | None
    client_address: str | None
    prev_hash: str
    hash: str

    def content_hash(self) -> str:
        """The hash this entry should carry, computed from its fields."""
        return _digest(self.prev_hash, _canonical(self))


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str


EMPTY_CHAIN = ChainHead(0, GENESIS_HASH)


def chain(records: Iterable[AccessRecord], head: ChainHead) -> list[AuditEntry]:
    """Turn records into entries that continue the chain after `head`."""
    entries: list[AuditEntry] = []
    seq, prev = head.seq, head.hash
    for record in records:
        seq += 1
        draft = AuditEntry(
            seq=seq,
            at=record.at,
            actor_id=record.actor.id,
            actor_role=str(record.actor.role),
            action=record.action,
            resource_type=record.resource_type,
            resource_id=record.resource_id,
            patient_ids=record.patient_ids,
            outcome=str(record.outcome),
            request_id=record.actor.request_id,
            client_address=record.actor.client_address,
            prev_hash=prev,
            hash="",
        )
        prev = draft.content_hash()
        entries.append(_with_hash(draft, prev))
    return entries


@dataclass(frozen=True)
class Verification:
    """What `carehub audit verify` found."""

    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_bad_seq is None and self.problem is None


class ChainVerifier:
    """Checks entries fed in sequence order; stops at the first changed or missing one."""

    def __init__(self) -> None:
        self._expected_seq = 1
        self._prev = GENESIS_HASH
        self.checked = 0
        self.failure: Verification | None = None

    def feed(self, entry: AuditEntry) -> bool:
        """Check one entry; False once a problem was found."""
        if self.failure is not None:
            return False
        if entry.seq != self._expected_seq:
            problem = f"entry {self._expected_seq} is missing or out of order"
            self.failure = Verification(self.checked, self._expected_seq, problem)
        elif entry.prev_hash != self._prev or entry.content_hash() != entry.hash:
            self.failure = Verification(self.checked, entry.seq, f"entry {entry.seq} was changed")
        else:
            self.checked += 1
            self._expected_seq, self._prev = entry.seq + 1, entry.hash
        return self.failure is None

    def finish(self, head: ChainHead | None) -> Verification:
        """The result, comparing the last entry with the stored head."""
        if self.failure is not None:
            return self.failure
        last = ChainHead(self._expected_seq - 1, self._prev)
        if head is not None and head != last:
            if head.seq > last.seq:
                return Verification(
                    self.checked, last.seq + 1, f"entries after {last.seq} are missing"
                )
            return Verification(self.checked, head.seq, "the chain head does not match the entries")
        return Verification(self.checked)


def _canonical(entry: AuditEntry) -> bytes:
    return orjson.dumps(
        [
            entry.seq,
            entry.at.isoformat(),
            entry.actor_id,
            entry.actor_role,
            entry.action,
            entry.resource_type,
            entry.resource_id,
            list(entry.patient_ids),
            entry.outcome,
            entry.request_id,
            entry.client_address,
        ]
    )


def _digest(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()


def _with_hash(entry: AuditEntry, digest: str) -> AuditEntry:
    return replace(entry, hash=digest)
