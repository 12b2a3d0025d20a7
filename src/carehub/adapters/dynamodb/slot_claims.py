"""Slot claims in the table: overlaps as colliding keys (docs/dynamodb.md, "Slot claims").

A claim is one claim item plus one unit item per 5-minute unit of time it touches, for the
doctor and, when known, the patient. Every unit is written with a condition that it is free
(absent, an expired hold's, or the same owner's), so two overlapping claims of different
owners meet on a unit key and only one transaction commits: the store refuses double
bookings, the reads here only answer early.

Each unit carries its claim's whole interval, so only a claim's first unit per party is
listed in the busy index: busy time is read from the claims that start up to the longest
claim before the window. The other units cost one write each, not two (an index entry is
a write of its own).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from carehub.adapters.dynamodb.items import Item, Key, record_data, record_item, utc_text
from carehub.adapters.dynamodb.pages import index_items, range_items
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import MAX_TRANSACTION_ITEMS, NEW_ITEM, Condition
from carehub.adapters.sql.slot_claims import claim_from_row, claim_row
from carehub.scheduling.claims import BusyInterval, ClaimKind, SlotClaim
from carehub.scheduling.errors import SlotTaken

UNIT = timedelta(minutes=5)
# No claim is longer: its units and the claim item are written in one transaction.
LONGEST_CLAIM = MAX_TRANSACTION_ITEMS * UNIT
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNIT_SK = "UNIT"
_CLAIM_SK = "CLAIM"
_DOCTOR, _PATIENT = "doctor", "patient"
_HOLDS_EXPIRING = "HOLDS_EXPIRING"
# Past every sort key that starts with a given time and '#' ('$' follows '#'): a range
# ending here includes that time.
_AT_OR_BEFORE = "$"
_EARLIEST = "0"


class ClaimIdTaken(ValueError):
    """A claim id is used once (ids are fresh UUIDs: reaching this is a bug)."""

    def __init__(self) -> None:
        super().__init__("a slot claim with this id exists")


def _claim_key(claim_id: str) -> Key:
    return (f"CLAIM#{claim_id}", _CLAIM_SK)


def _unit_key(party: str, who: str, unit: datetime) -> Key:
    prefix = "DOCTOR_SLOT" if party == _DOCTOR else "PATIENT_SLOT"
    return (f"{prefix}#{who}#{utc_text(unit)}", _UNIT_SK)


def _busy_partition(party: str, who: str) -> tuple[str, str]:
    """The index and partition listing one doctor's or patient's units."""
    if party == _DOCTOR:
        return "GSI1", f"DOCTOR#{who}#BUSY"
    return "GSI2", f"PATIENT#{who}#BUSY"


def units(start: datetime, end: datetime) -> Iterator[datetime]:
    """The 5-minute UTC units [start, end) touches. carehub's slots lie on this grid; a
    claim off it covers every unit it touches, so it may be refused beside a claim it only
    touches, never let overlap one."""
    offset = (start.astimezone(UTC) - _EPOCH) % UNIT
    unit = start.astimezone(UTC) - offset
    while unit < end:
        yield unit
        unit += UNIT


def _epoch_seconds(at: datetime) -> Decimal:
    return Decimal((at.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)).scaleb(-6)


def _parties(claim: SlotClaim) -> list[tuple[str, str]]:
    parties = [(_DOCTOR, claim.doctor_id)]
    if claim.patient_id is not None:
        parties.append((_PATIENT, claim.patient_id))
    return parties


def _unit_keys(claim: SlotClaim) -> list[tuple[str, Key]]:
    """Each party's units, in time order (a party's first is the one listed as busy)."""
    return [
        (party, _unit_key(party, who, unit))
        for party, who in _parties(claim)
        for unit in units(claim.start, claim.end)
    ]


def _live(item: Item, now: datetime) -> bool:
    """A unit still counts: an appointment's, or a hold's not yet expired."""
    expires_at = item.get("expires_at")
    return expires_at is None or expires_at > _epoch_seconds(now)


def _free_for(owner_id: str, now: datetime) -> Condition:
    return Condition(
        "attribute_not_exists(PK) OR expires_at <= :now OR owner_id = :owner",
        {":now": _epoch_seconds(now), ":owner": owner_id},
    )


def _held_by(claim_id: str) -> Condition:
    return Condition("claim_id = :claim", {":claim": claim_id})


class DynamoSlotClaims:
    """`carehub.scheduling.ports.SlotClaims` over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def claim(self, claim: SlotClaim, *, now: datetime) -> None:
        if await self._session.get(_claim_key(claim.id)) is not None:
            raise ClaimIdTaken()
        keyed = _unit_keys(claim)
        found = await asyncio.gather(*(self._session.get(key) for _, key in keyed))
        # Answer now, as SQL's insert does; nothing is buffered before the answer, so a
        # refused claim leaves the unit as it was.
        expired: set[str] = set()
        for (party, _), item in zip(keyed, found, strict=True):
            if item is None or item["owner_id"] == claim.owner_id:
                continue
            if _live(item, now):
                raise SlotTaken(party)
            expired.add(item["claim_id"])
        writes = self._session.writes
        writes.put(_claim_item(claim), condition=NEW_ITEM, refusal=ClaimIdTaken)
        listed: set[str] = set()
        for party, key in keyed:
            refusal = lambda party=party: SlotTaken(party)  # noqa: E731
            writes.put(
                _unit_item(claim, party, key, listed=party not in listed),
                condition=_free_for(claim.owner_id, now),
                refusal=refusal,
            )
            listed.add(party)
        # The expired holds in the way go whole, as on SQL (their units this claim did not
        # take over included), each unit only while it is still that hold's.
        taken = {key for _, key in keyed}
        for hold_id in sorted(expired):
            await self._release(hold_id, keep=taken)

    async def release(self, claim_id: str) -> bool:
        return await self._release(claim_id, keep=set())

    async def _release(self, claim_id: str, *, keep: set[Key]) -> bool:
        stored = await self._session.get(_claim_key(claim_id))
        if stored is None:
            return False
        claim = _claim(stored)
        self._session.writes.delete(_claim_key(claim_id))
        keyed = [(party, key) for party, key in _unit_keys(claim) if key not in keep]
        found = await asyncio.gather(*(self._session.get(key) for _, key in keyed))
        for (party, key), item in zip(keyed, found, strict=True):
            # A unit the same owner's newer claim took over stays with that claim.
            if item is not None and item["claim_id"] == claim_id:
                refusal = lambda party=party: SlotTaken(party)  # noqa: E731
                self._session.writes.delete(key, condition=_held_by(claim_id), refusal=refusal)
        return True

    async def release_owner(self, owner_id: str) -> int:
        partition = f"OWNER#{owner_id}"
        stored = await index_items(self._session, "GSI1", partition, limit=None)
        claims = {item["PK"]: item for item in stored}
        for pk, item in self._session.writes.written(_CLAIM_SK).items():
            claims.pop(pk, None)
            if item is not None and item.get("GSI1PK") == partition:
                claims[pk] = item
        released = 0
        for item in claims.values():
            released += await self.release(_claim(item).id)
        return released

    async def busy(
        self, *, doctor_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[BusyInterval]:
        return await self._busy(_DOCTOR, doctor_id, start, end, now)

    async def patient_busy(
        self, *, patient_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[BusyInterval]:
        return await self._busy(_PATIENT, patient_id, start, end, now)

    async def _busy(
        self, party: str, who: str, start: datetime, end: datetime, now: datetime
    ) -> list[BusyInterval]:
        """The claims overlapping the window, from their listed first units: those that
        start in the window or up to the longest claim before it."""
        if start >= end:
            return []
        first = next(units(start - LONGEST_CLAIM, end))
        index, partition = _busy_partition(party, who)
        last = utc_text(end - timedelta(microseconds=1))
        items, _ = await range_items(
            self._session, index, partition, low=utc_text(first), high=last, limit=None
        )
        intervals: dict[str, BusyInterval] = {}
        for item in items:
            if item["claim_id"] in intervals or not _live(item, now):
                continue
            begins = datetime.fromisoformat(item["start"])
            ends = datetime.fromisoformat(item["end"])
            if begins < end and ends > start:
                intervals[item["claim_id"]] = BusyInterval(begins, ends, item["owner_id"])
        return sorted(intervals.values(), key=lambda interval: interval.start)

    async def expired_holds(self, *, now: datetime, limit: int) -> list[SlotClaim]:
        high = utc_text(now) + _AT_OR_BEFORE
        items, _ = await range_items(
            self._session, "GSI2", _HOLDS_EXPIRING, low=_EARLIEST, high=high, limit=limit
        )
        return [_claim(item) for item in items]


def _claim_item(claim: SlotClaim) -> Item:
    expires = claim.expires_at
    return record_item(
        _claim_key(claim.id),
        kind="slot-claim",
        data=claim_row(claim),
        indexes={
            "GSI1PK": f"OWNER#{claim.owner_id}",
            "GSI1SK": claim.id,
            "GSI2PK": _HOLDS_EXPIRING if claim.kind is ClaimKind.HOLD else None,
            "GSI2SK": None if expires is None else f"{utc_text(expires)}#{claim.id}",
        },
    )


def _unit_item(claim: SlotClaim, party: str, key: Key, *, listed: bool) -> Item:
    item: dict[str, Any] = {
        "PK": key[0],
        "SK": key[1],
        "kind": "slot-unit",
        "claim_id": claim.id,
        "owner_id": claim.owner_id,
        "start": utc_text(claim.start),
        "end": utc_text(claim.end),
    }
    if listed:
        index, partition = _busy_partition(
            party, claim.doctor_id if party == _DOCTOR else str(claim.patient_id)
        )
        item[f"{index}PK"] = partition
        item[f"{index}SK"] = key[0].rsplit("#", 1)[1]
    if claim.expires_at is not None:  # also the TTL: DynamoDB drops the unit later
        item["expires_at"] = _epoch_seconds(claim.expires_at)
    return item


def _claim(item: Item) -> SlotClaim:
    return claim_from_row(record_data(item))
