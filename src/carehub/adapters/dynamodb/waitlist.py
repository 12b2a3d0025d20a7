"""Waitlist entries in the table: the waiting lines by doctor (GSI1) and by specialty in a
country (GSI2), first come first served, and each patient's entries (GSI3)
(docs/dynamodb.md, "scheduling")."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from carehub.adapters.dynamodb.holds import RecordIdTaken, status_is
from carehub.adapters.dynamodb.items import Item, Key, record_data, record_item, utc_text
from carehub.adapters.dynamodb.pages import index_page, range_items
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import NEW_ITEM
from carehub.adapters.sql.holds import entry_from_row, entry_row
from carehub.kernel.pagination import Page
from carehub.scheduling.model import WaitlistEntry, WaitStatus

_KIND = "waitlist-entry"
_SPECIALTY_KEY_LENGTH = 128  # as the doctors' specialty lists cut it
_LINE_PAGE = 50  # a waiting line is read this many entries at a time


def _key(entry_id: str) -> Key:
    return (f"WAITLIST#{entry_id}", "ENTRY")


def _doctor_line(doctor_id: str) -> str:
    return f"DOCTOR#{doctor_id}#WAITING"


def _specialty_line(country_id: str, specialty_key: str) -> str:
    return f"COUNTRY#{country_id}#SPECIALTY#{specialty_key[:_SPECIALTY_KEY_LENGTH]}#WAITING"


def _of_patient(patient_id: str) -> str:
    return f"PATIENT#{patient_id}#WAITLIST"


class DynamoWaitlistRepository:
    """The waitlist port over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def add(self, entry: WaitlistEntry) -> None:
        if await self._session.get(_key(entry.id)) is not None:
            raise RecordIdTaken()
        self._session.writes.put(_item(entry), condition=NEW_ITEM, refusal=RecordIdTaken)

    async def get(self, entry_id: str) -> WaitlistEntry | None:
        item = await self._session.get(_key(entry_id))
        return None if item is None else _entry(item)

    async def replace(self, entry: WaitlistEntry, *, expected_status: str) -> bool:
        stored = await self._session.get(_key(entry.id))
        if stored is None or stored.get("status") != expected_status:
            return False
        # What SQL's update sets; the rest is the stored entry's.
        changed = replace(
            _entry(stored),
            status=entry.status,
            offered_hold_id=entry.offered_hold_id,
            updated_at=entry.updated_at,
        )
        self._session.writes.put(_item(changed), condition=status_is(expected_status))
        return True

    async def first_waiting(
        self,
        *,
        doctor_id: str,
        country_id: str,
        specialty_key: str,
        start: datetime,
        end: datetime,
        skip: frozenset[str] = frozenset(),
    ) -> WaitlistEntry | None:
        def fits(entry: WaitlistEntry) -> bool:
            return entry.id not in skip and entry.fits(start, end)

        candidates = [
            await self._first_in_line("GSI1", _doctor_line(doctor_id), fits),
            await self._first_in_line("GSI2", _specialty_line(country_id, specialty_key), fits),
        ]
        waiting = [entry for entry in candidates if entry is not None]
        return min(waiting, key=lambda e: (e.created_at, e.id), default=None)

    async def _first_in_line(self, index: str, line: str, fits: Any) -> WaitlistEntry | None:
        """The earliest-joined entry of one waiting line that `fits`, read a page at a time."""
        start_key: dict[str, Any] | None = None
        while True:
            items, start_key = await range_items(
                self._session,
                index,
                line,
                low="0",
                high="~",
                limit=_LINE_PAGE,
                start_key=start_key,
            )
            for item in items:
                entry = _entry(item)
                if fits(entry):
                    return entry
            if start_key is None:
                return None

    async def for_patient(
        self, patient_id: str, *, cursor: str | None, limit: int
    ) -> Page[WaitlistEntry]:
        return await index_page(
            self._session,
            "GSI3",
            _of_patient(patient_id),
            cursor=cursor,
            limit=limit,
            record=_entry,
        )


def _item(entry: WaitlistEntry) -> Item:
    waiting = entry.status is WaitStatus.WAITING
    joined = f"{utc_text(entry.created_at)}#{entry.id}"
    if entry.doctor_id is not None:
        line = ("GSI1", _doctor_line(entry.doctor_id))
    elif entry.specialty_key is not None:
        line = ("GSI2", _specialty_line(entry.country_id, entry.specialty_key))
    else:
        line = None
    indexes: dict[str, str | None] = {
        "GSI3PK": _of_patient(entry.patient_id),
        "GSI3SK": entry.id,
    }
    if waiting and line is not None:  # only the waiting stand in a line
        indexes[f"{line[0]}PK"] = line[1]
        indexes[f"{line[0]}SK"] = joined
    item = record_item(_key(entry.id), kind=_KIND, data=entry_row(entry), indexes=indexes)
    item["status"] = entry.status.value
    return item


def _entry(item: Item) -> WaitlistEntry:
    return entry_from_row(record_data(item))
