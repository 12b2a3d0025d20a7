"""Appointments in the table: one item each, its history inside it, listed by country
(GSI1), doctor (GSI2) and patient (GSI3) in start-then-id order: seed 001's three queries
(docs/dynamodb.md, "scheduling")."""

from __future__ import annotations

from typing import Any

from carehub.adapters.dynamodb.items import Item, Key, record_data, record_item, utc_text
from carehub.adapters.dynamodb.pages import range_items
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import NEW_ITEM, version_is
from carehub.adapters.sql.appointments import (
    appointment_from_row,
    appointment_row,
    transition_from_row,
    transition_row,
)
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.pagination import Page, cursor_position, encode_cursor
from carehub.scheduling.errors import AppointmentIdTaken
from carehub.scheduling.model import Appointment
from carehub.scheduling.ports import AppointmentFilter

_KIND = "appointment"
# A search reads at most this many appointments: past it the page comes back short, with
# a cursor (a criterion checked on the items, e.g. status, can pass over many).
READ_BUDGET = 2000
_LAST = "~"  # after every time in a sort key
_FIRST = "0"  # before every time in a sort key
REFUSED = "docs/dynamodb.md#refused-rather-than-scanned"


def _key(appointment_id: str) -> Key:
    return (f"APPOINTMENT#{appointment_id}", "APPOINTMENT")


# The index serving each leading criterion, most selective first (as SQL's indexes).
_INDEXES = (
    ("doctor_id", "GSI2", "DOCTOR#{}#APPTS"),
    ("patient_id", "GSI3", "PATIENT#{}#APPTS"),
    ("country_id", "GSI1", "COUNTRY#{}#APPTS"),
)


class DynamoAppointmentRepository:
    """The appointments port over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def add(self, appointment: Appointment) -> None:
        # Decided at commit, with no read first: ids are fresh unless a caller brings one,
        # and a taken one fails the unit as a whole, as a read here would (1 RCU a booking).
        refusal = lambda: AppointmentIdTaken(appointment.id)  # noqa: E731
        self._session.writes.put(_item(appointment), condition=NEW_ITEM, refusal=refusal)

    async def get(self, appointment_id: str) -> Appointment | None:
        item = await self._session.get(_key(appointment_id))
        return None if item is None else _appointment(item, with_history=True)

    async def replace(self, appointment: Appointment, *, expected_version: int) -> bool:
        stored = await self._session.get(_key(appointment.id))
        if stored is None or stored.get("version") != expected_version:
            return False
        self._session.writes.put(_item(appointment), condition=version_is(expected_version))
        return True

    async def search(
        self, criteria: AppointmentFilter, *, cursor: str | None, limit: int
    ) -> Page[Appointment]:
        index, partition = _served_by(criteria)
        after = "" if cursor is None else cursor_position(cursor, "after", str)
        low = _FIRST if criteria.start_from is None else utc_text(criteria.start_from)
        low = max(low, after)
        # `start_to` is exclusive: "{to}" sorts before every "{to}#{id}".
        high = _LAST if criteria.start_to is None else utc_text(criteria.start_to)
        found: list[Appointment] = []
        start_key: dict[str, Any] | None = None
        read = 0
        last_read = after
        while len(found) <= limit and read < READ_BUDGET:
            items, start_key = await range_items(
                self._session,
                index,
                partition,
                low=low,
                high=high,
                limit=min(limit + 1, READ_BUDGET - read),
                start_key=start_key,
            )
            read += len(items)
            for item in items:
                sort_key = item[f"{index}SK"]
                if sort_key <= after:
                    continue
                appointment = _appointment(item, with_history=False)
                if _matches(appointment, criteria):
                    found.append(appointment)
                    if len(found) > limit:
                        break
                last_read = sort_key
            if start_key is None:
                break
        page = found[:limit]
        if len(found) > limit:
            return Page(page, encode_cursor({"after": _sort_key(page[-1])}))
        if start_key is not None:  # the read budget ran out: go on from the last item read
            return Page(page, encode_cursor({"after": last_read}))
        return Page(page, None)


def _served_by(criteria: AppointmentFilter) -> tuple[str, str]:
    for name, index, partition in _INDEXES:
        value = getattr(criteria, name)
        if value is not None:
            return index, partition.format(value)
    raise Invalid(
        "This store lists appointments by country, doctor or patient only",
        errors=[
            FieldError(
                "countryId",
                f"give countryId, doctorId or patientId (see {REFUSED})",
            )
        ],
    )


def _matches(appointment: Appointment, criteria: AppointmentFilter) -> bool:
    return all(
        wanted is None or getattr(appointment, name) == wanted
        for name, wanted in (
            ("country_id", criteria.country_id),
            ("doctor_id", criteria.doctor_id),
            ("patient_id", criteria.patient_id),
            ("status", criteria.status),
        )
    )


def _sort_key(appointment: Appointment) -> str:
    return f"{utc_text(appointment.start)}#{appointment.id}"


def _item(appointment: Appointment) -> Item:
    data = appointment_row(appointment)
    data["history"] = [transition_row(step) for step in appointment.history]
    order = _sort_key(appointment)
    return record_item(
        _key(appointment.id),
        kind=_KIND,
        data=data,
        version=appointment.version,
        indexes={
            "GSI1PK": f"COUNTRY#{appointment.country_id}#APPTS",
            "GSI1SK": order,
            "GSI2PK": f"DOCTOR#{appointment.doctor_id}#APPTS",
            "GSI2SK": order,
            "GSI3PK": f"PATIENT#{appointment.patient_id}#APPTS",
            "GSI3SK": order,
        },
    )


def _appointment(item: Item, *, with_history: bool) -> Appointment:
    data = record_data(item)
    steps = data.pop("history", []) if with_history else []
    return appointment_from_row(data, tuple(transition_from_row(step) for step in steps))
