"""Audit entries and their hash chain.

Each entry's hash covers its own fields and the previous entry's hash, so changing,
removing or reordering any stored entry breaks every hash after it. The chain head (last
sequence number and hash) is stored separately, which also reveals removed tail entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

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
        return _digest(self.prev_hash, _canonical(_hashed_fields(self)))


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
        actor = record.actor
        fields = _HashedFields(
            seq,
            record.at,
            actor.id,
            str(actor.role),
            record.action,
            record.resource_type,
            record.resource_id,
            record.patient_ids,
            str(record.outcome),
            actor.request_id,
            actor.client_address,
        )
        digest = _digest(prev, _canonical(fields))
        entries.append(AuditEntry(**fields._asdict(), prev_hash=prev, hash=digest))
        prev = digest
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


class _HashedFields(NamedTuple):
    """What an entry's hash covers, besides the previous hash, in this order."""

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


def _hashed_fields(entry: AuditEntry) -> _HashedFields:
    return _HashedFields(*(getattr(entry, name) for name in _HashedFields._fields))


def _canonical(fields: _HashedFields) -> bytes:
    # orjson writes a tuple as a list and a datetime in ISO 8601, as `isoformat` does.
    return orjson.dumps([*fields[:1], fields.at.isoformat(), *fields[2:]])


def _digest(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()
