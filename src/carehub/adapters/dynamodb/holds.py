"""Slot holds in the table: the active ones listed by expiry (GSI1 `HOLDS_DUE`) for the
sweeper, the waitlist offers by doctor and slot (GSI2) (docs/dynamodb.md, "scheduling")."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from carehub.adapters.dynamodb.items import Item, Key, record_data, record_item, utc_text
from carehub.adapters.dynamodb.pages import prefix_items, range_items
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import NEW_ITEM, Condition
from carehub.adapters.sql.holds import hold_from_row, hold_row
from carehub.scheduling.model import Hold, HoldStatus

_KIND = "hold"
_DUE = "HOLDS_DUE"
_LAPSED = (HoldStatus.EXPIRED, HoldStatus.RELEASED)


class RecordIdTaken(ValueError):
    """A hold or waitlist id is used once (ids are fresh UUIDs: reaching this is a bug)."""

    def __init__(self) -> None:
        super().__init__("a record with this id exists")


def status_is(expected: str) -> Condition:
    # `status` is one of DynamoDB's reserved words: it goes through a name placeholder.
    return Condition(
        "#status = :expected_status", {":expected_status": expected}, {"#status": "status"}
    )


def _key(hold_id: str) -> Key:
    return (f"HOLD#{hold_id}", "HOLD")


def _offers(doctor_id: str) -> str:
    return f"DOCTOR#{doctor_id}#OFFERS"


def _slot(start: datetime, end: datetime) -> str:
    return f"{utc_text(start)}#{utc_text(end)}#"


class DynamoHoldRepository:
    """The holds port over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def add(self, hold: Hold) -> None:
        if await self._session.get(_key(hold.id)) is not None:
            raise RecordIdTaken()
        self._session.writes.put(_item(hold), condition=NEW_ITEM, refusal=RecordIdTaken)

    async def get(self, hold_id: str) -> Hold | None:
        item = await self._session.get(_key(hold_id))
        return None if item is None else _hold(item)

    async def replace(self, hold: Hold, *, expected_status: str) -> bool:
        stored = await self._session.get(_key(hold.id))
        if stored is None or stored.get("status") != expected_status:
            return False
        # Only the status changes, as on SQL: the rest is the stored hold's.
        changed = replace(_hold(stored), status=hold.status)
        self._session.writes.put(_item(changed), condition=status_is(expected_status))
        return True

    async def due(self, *, now: datetime, limit: int) -> list[Hold]:
        # "{now}$" sorts after every "{now}#{id}": expiry is inclusive.
        items, _ = await range_items(
            self._session, "GSI1", _DUE, low="0", high=f"{utc_text(now)}$", limit=limit
        )
        return [_hold(item) for item in items]

    async def lapsed_offers(
        self, *, doctor_id: str, start: datetime, end: datetime
    ) -> frozenset[str]:
        items = await prefix_items(self._session, "GSI2", _offers(doctor_id), _slot(start, end))
        holds = [_hold(item) for item in items]
        return frozenset(
            h.waitlist_entry_id
            for h in holds
            if h.status in _LAPSED and h.waitlist_entry_id is not None
        )


def _item(hold: Hold) -> Item:
    active = hold.status is HoldStatus.ACTIVE
    offered = hold.waitlist_entry_id is not None
    item = record_item(
        _key(hold.id),
        kind=_KIND,
        data=hold_row(hold),
        indexes={
            "GSI1PK": _DUE if active else None,
            "GSI1SK": f"{utc_text(hold.expires_at)}#{hold.id}" if active else None,
            "GSI2PK": _offers(hold.doctor_id) if offered else None,
            "GSI2SK": f"{_slot(hold.start, hold.end)}{hold.id}" if offered else None,
        },
    )
    item["status"] = hold.status.value
    return item


def _hold(item: Item) -> Hold:
    return hold_from_row(record_data(item))
