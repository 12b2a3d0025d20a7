"""The audit trail in the table (docs/dynamodb.md, "Audit chain"): each shard's entries in
their own partition (`AUDIT#{shard}` / `SEQ#…`), listed by patient (GSI1), by shard in the
trail's order (GSI2) and by actor (GSI3); and a small registry of the shards in use.

A shard keeps no head item: its head is its last entry, and each entry is written with
`attribute_not_exists` on its own seq, so two writers can never both take one. A writer
knows the head it left (`carehub.audit.shards`) and reads it from the table only after it
lost a race or when it enters a shard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import orjson

from carehub.adapters.dynamodb.audit_search import Partition, search_trail
from carehub.adapters.dynamodb.items import Item, as_int, to_wire, utc_text
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import NEW_ITEM, Write, WriteBuffer
from carehub.audit.model import AuditEntry, ChainHead, TrailPosition, chain, empty_chain
from carehub.audit.ports import AuditFilter
from carehub.audit.shards import ShardTurn
from carehub.kernel.audit import AccessRecord
from carehub.kernel.pagination import Page

SHARDS_PK = "AUDIT_SHARDS"  # one item per shard that has entries
_SEQ = "SEQ#"
_POINTERS = "AUDIT_PATIENTS#"  # + the entry's order key: the pointers to one entry
_POINTER_KIND = "audit-patient"
_LAST_SEQ = f"{_SEQ}~"  # after every SEQ# key (and, in shard 0, before no older HEAD item)


def shard_partition(shard: int) -> str:
    return f"AUDIT#{shard}"


def seq_key(seq: int) -> str:
    return f"{_SEQ}{seq:012d}"


def order_key(position: TrailPosition) -> str:
    """The index sort key of an entry: its place in the trail's order, as sortable text."""
    return f"{utc_text(position.at)}#{position.shard:03d}#{position.seq:012d}"


def audit_items(entry: AuditEntry) -> tuple[Item, list[Item]]:
    """The items one entry is stored as: the entry itself (listed by its first patient,
    its shard and its actor), and a small pointer to it for each further patient it names,
    which lists it by that patient."""
    fields = asdict(entry)
    if not entry.links:
        del fields["links"]  # most entries have none: an item under 1 KB costs 1 WCU a copy
    patients = list(dict.fromkeys(entry.patient_ids))
    key = order_key(TrailPosition.of(entry))
    item: Item = {
        "PK": shard_partition(entry.shard),
        "SK": seq_key(entry.seq),
        "kind": "audit-entry",
        "data": orjson.dumps(fields).decode(),
        "GSI2PK": f"AUDIT_TIME#{entry.shard}",
        "GSI2SK": key,
        "GSI3PK": f"AUDIT_ACTOR#{entry.actor_id}",
        "GSI3SK": key,
    }
    if patients:
        item.update(GSI1PK=f"AUDIT_PATIENT#{patients[0]}", GSI1SK=key)
    pointers: list[Item] = [
        {
            # Keyed by the entry's place, not its seq alone: a writer that lost the seq to
            # another must not overwrite the winner's pointer with its own.
            "PK": f"{_POINTERS}{key}",
            "SK": f"PATIENT#{patient}",
            "kind": _POINTER_KIND,
            "shard": entry.shard,
            "seq": entry.seq,
            "GSI1PK": f"AUDIT_PATIENT#{patient}",
            "GSI1SK": key,
        }
        for patient in patients[1:]
    ]
    return item, pointers


async def append_writes(
    session: DynamoSession, records: Sequence[AccessRecord], turn: ShardTurn
) -> tuple[list[AuditEntry], list[Write]]:
    """The entries that continue the turn's shard and the writes that store them: each
    entry new (`attribute_not_exists`, so a seq another writer took fails the commit), and
    on the shard's first entry its registry item.

    The pointers that list an entry under its further patients are put first, outside the
    transaction (`BatchWriteItem`, half the units of a transactional write): a page of up
    to 200 patients is then one entry in any transaction. A pointer whose entry never
    commits (a lost race, a failure) points at nothing, or at an entry that is not the one
    it names, and readers drop it (`resolve_pointers`)."""
    if turn.head is None:
        turn.head = await newest_head(session, turn.shard)
    entries = chain(records, turn.head, turn.links)
    buffer = WriteBuffer()
    pointers: list[Item] = []
    for entry in entries:
        item, listed = audit_items(entry)
        buffer.put(item, condition=NEW_ITEM)
        pointers += listed
    if turn.head.seq == 0:
        shard = turn.shard
        registered = {"PK": SHARDS_PK, "SK": f"SHARD#{shard:03d}", "kind": "audit-shard"}
        buffer.put({**registered, "shard": shard})
    if pointers:
        await session.table.put_many(pointers, session.capacity)
    return entries, buffer.writes()


async def resolve_pointers(session: DynamoSession, items: list[Item]) -> list[Item]:
    """A patient's listing with each pointer replaced by the entry it points at (one
    consistent `BatchGetItem`), and dropped unless that entry is committed, sits at the
    pointer's place in the trail and names the patient."""
    wanted = {
        (shard_partition(as_int(item["shard"])), seq_key(as_int(item["seq"])))
        for item in items
        if item["kind"] == _POINTER_KIND
    }
    if not wanted:
        return items
    found = await session.get_many(sorted(wanted))
    resolved: list[Item] = []
    for item in items:
        if item["kind"] != _POINTER_KIND:
            resolved.append(item)
            continue
        key = (shard_partition(as_int(item["shard"])), seq_key(as_int(item["seq"])))
        entry = found.get(key)
        patient = str(item["SK"]).removeprefix("PATIENT#")
        if (
            entry is not None
            and entry.get("GSI2SK") == item["GSI1SK"]
            and patient in orjson.loads(entry["data"])["patient_ids"]
        ):
            resolved.append({**entry, "GSI1SK": item["GSI1SK"]})
    return resolved


async def newest_head(session: DynamoSession, shard: int) -> ChainHead:
    """The shard's last entry, read consistently (one Query, one item)."""
    newest = await _entries(session, shard, first=1, limit=1, newest_first=True)
    return newest[0].head if newest else empty_chain(shard)


class DynamoAuditLog:
    """The audit domain's reading port over a DynamoDB session; `configured` is how many
    shards this deployment writes to: searches and verification read each of them, and
    every other shard the registry names."""

    def __init__(self, session: DynamoSession, *, configured: int) -> None:
        self._session = session
        self._configured = configured

    async def search(
        self, criteria: AuditFilter, *, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        """Newest first from the partitions of the most selective criterion given (patient,
        actor; every shard's listing otherwise), the others checked on the items."""
        partitions: list[Partition]
        if criteria.patient_id is not None:
            partitions = [Partition("GSI1", f"AUDIT_PATIENT#{criteria.patient_id}")]
        elif criteria.actor_id is not None:
            partitions = [Partition("GSI3", f"AUDIT_ACTOR#{criteria.actor_id}")]
        else:  # every shard written to now, and any a larger count of them left behind
            shards = {*range(self._configured), *await self._registered()}
            partitions = [Partition("GSI2", f"AUDIT_TIME#{shard}") for shard in sorted(shards)]
        before = None if cursor is None else order_key(TrailPosition.from_cursor(cursor))
        return await search_trail(
            self._session,
            partitions,
            criteria,
            before=before,
            limit=limit,
            entry_of=entry_of,
            resolve=resolve_pointers,
        )

    async def shards(self) -> list[int]:
        found = set(await self._registered())
        for shard in range(self._configured):
            if shard not in found and await _entries(self._session, shard, first=1, limit=1):
                found.add(shard)
        return sorted(found)

    async def scan(self, *, shard: int, after_seq: int, limit: int) -> list[AuditEntry]:
        return await _entries(self._session, shard, first=after_seq + 1, limit=limit)

    async def stored_heads(self) -> dict[int, ChainHead]:
        return {}  # a shard's head is its last entry

    async def _registered(self) -> list[int]:
        params: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": to_wire({":pk": SHARDS_PK}),
            "ConsistentRead": True,
        }
        shards: list[int] = []
        while True:
            items, last = await self._session.query(**params)
            shards += [as_int(item["shard"]) for item in items]
            if last is None:
                return shards
            params["ExclusiveStartKey"] = last


async def _entries(
    session: DynamoSession, shard: int, *, first: int, limit: int, newest_first: bool = False
) -> list[AuditEntry]:
    """A shard's entries from seq `first` on, in sequence order (a Query, never a Scan)."""
    params: dict[str, Any] = {
        "KeyConditionExpression": "PK = :pk AND SK BETWEEN :first AND :last",
        "ExpressionAttributeValues": to_wire(
            {":pk": shard_partition(shard), ":first": seq_key(first), ":last": _LAST_SEQ}
        ),
        "ConsistentRead": True,
        "ScanIndexForward": not newest_first,
    }
    found: list[AuditEntry] = []
    while len(found) < limit:
        params["Limit"] = limit - len(found)
        items, last = await session.query(**params)
        found += [entry_of(item, stored_in=shard) for item in items]
        if last is None:
            break
        params["ExclusiveStartKey"] = last
    return found


def entry_of(item: Item, *, stored_in: int | None = None) -> AuditEntry:
    """The entry an item holds. Read from its shard's partition, its shard and seq are
    where it is stored, so an entry moved there from another shard fails verification."""
    data: dict[str, Any] = orjson.loads(item["data"])
    data["at"] = datetime.fromisoformat(data["at"])
    data["patient_ids"] = tuple(data["patient_ids"])
    data["links"] = tuple(ChainHead(**link) for link in data.get("links", ()))
    data.setdefault("shard", 0)  # written before the trail was sharded
    if stored_in is not None:
        data["shard"], data["seq"] = stored_in, int(item["SK"].removeprefix(_SEQ))
    return AuditEntry(**data)
