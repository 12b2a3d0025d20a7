"""Audit entries and their hash chains.

The trail is split into shards, each its own hash chain from its own genesis: an entry's
hash covers its fields (its shard among them) and the previous entry's hash in its shard, so
changing, removing, reordering or moving a stored entry breaks every hash after it in that
shard. Nothing after a shard's last entries reveals their removal; two things do: the head
a store may keep apart from the entries (SQL keeps one row per shard), and cross-links. A
writer's first entry in a shard it enters names, inside its hashed fields, the heads (seq
and hash) it left behind in other shards, so a removed or rewritten tail of one shard no
longer matches what another shard committed to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from carehub.kernel.audit import AccessRecord
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.pagination import cursor_position, encode_cursor

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainHead:
    """Where a shard's chain ends: its last entry's seq and hash (seq 0: no entry yet).
    As an entry's cross-link, the entry of another shard it names."""

    shard: int
    seq: int
    hash: str


def empty_chain(shard: int) -> ChainHead:
    """The head of a shard before its first entry."""
    return ChainHead(shard, 0, GENESIS_HASH)


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """One stored, chained audit entry: the `seq`-th of its shard."""

    shard: int
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
    links: tuple[ChainHead, ...] = ()
    prev_hash: str
    hash: str

    def content_hash(self) -> str:
        """The hash this entry should carry, computed from its fields."""
        return _digest(self.prev_hash, _canonical(self))

    @property
    def head(self) -> ChainHead:
        """The head of its shard once this entry is the last one."""
        return ChainHead(self.shard, self.seq, self.hash)


@dataclass(frozen=True, order=True)
class TrailPosition:
    """Where an entry stands in the trail's order, (`at`, `shard`, `seq`): searches list
    entries newest first by it, and their cursors hold the last one listed."""

    at: datetime
    shard: int
    seq: int

    @classmethod
    def of(cls, entry: AuditEntry) -> TrailPosition:
        return cls(entry.at, entry.shard, entry.seq)

    def cursor(self) -> str:
        return encode_cursor({"at": self.at.isoformat(), "shard": self.shard, "seq": self.seq})

    @classmethod
    def from_cursor(cls, cursor: str) -> TrailPosition:
        """The position a cursor of `cursor()` holds; invalid input otherwise."""
        at = cursor_position(cursor, "at", str)
        shard, seq = cursor_position(cursor, "shard", int), cursor_position(cursor, "seq", int)
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            not_ours = FieldError("cursor", "not a cursor we issued")
            raise Invalid("cursor is not valid", errors=[not_ours])
        return cls(moment, shard, seq)


def chain(
    records: Iterable[AccessRecord], head: ChainHead, links: Sequence[ChainHead] = ()
) -> list[AuditEntry]:
    """Turn records into entries that continue `head`'s shard; the first names `links`."""
    entries: list[AuditEntry] = []
    seq, prev = head.seq, head.hash
    named = tuple(link for link in links if link.shard != head.shard)
    for record in records:
        seq += 1
        actor = record.actor
        entry = AuditEntry(
            shard=head.shard,
            seq=seq,
            at=record.at,
            actor_id=actor.id,
            actor_role=str(actor.role),
            action=record.action,
            resource_type=record.resource_type,
            resource_id=record.resource_id,
            patient_ids=record.patient_ids,
            outcome=str(record.outcome),
            request_id=actor.request_id,
            client_address=actor.client_address,
            links=named if not entries else (),
            prev_hash=prev,
            hash="",
        )
        entry = replace(entry, hash=entry.content_hash())
        entries.append(entry)
        prev = entry.hash
    return entries


def _canonical(entry: AuditEntry) -> bytes:
    # The fields in a fixed order; orjson writes a tuple as a list. Entries written before
    # the trail was sharded (shard 0, no links) hashed exactly the first eleven, so those
    # two are appended only when they say something: old entries keep their hashes, and an
    # entry moved into or out of shard 0 still changes its hash.
    fields: list[Any] = [
        entry.seq,
        entry.at.isoformat(),
        entry.actor_id,
        entry.actor_role,
        entry.action,
        entry.resource_type,
        entry.resource_id,
        entry.patient_ids,
        entry.outcome,
        entry.request_id,
        entry.client_address,
    ]
    if entry.shard or entry.links:
        fields += [entry.shard, [[link.shard, link.seq, link.hash] for link in entry.links]]
    return orjson.dumps(fields)


def _digest(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()
