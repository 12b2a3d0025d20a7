"""Slot claims on SQL (SQLite and PostgreSQL), one code path.

Overlaps are refused by the store (migration 0005): an exclusion constraint on PostgreSQL,
triggers on SQLite. Both surface as `OverlapViolation`, which becomes `SlotTaken`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from carehub.adapters.sql.database import (
    OverlapViolation,
    Row,
    Session,
    Statement,
    UniqueViolation,
    as_datetime,
)
from carehub.adapters.sql.tables import slot_claims
from carehub.scheduling.claims import BusyInterval, ClaimKind, SlotClaim
from carehub.scheduling.errors import SlotTaken

_c = slot_claims.c
_HOLD = ClaimKind.HOLD.value

# ON CONFLICT DO NOTHING makes PostgreSQL insert speculatively: two claims inserted at the
# same moment that find each other's row do not deadlock (a plain INSERT checked by an
# exclusion constraint would, and PostgreSQL would fail one of them after
# deadlock_timeout); the refused one inserts nothing and the transaction goes on. SQLite's
# triggers still raise (ON CONFLICT does not apply to them).
_INSERT_UNLESS_TAKEN = Statement(
    sa.text("""
INSERT INTO slot_claims (id, kind, owner_id, doctor_id, patient_id, starts_at, ends_at, expires_at)
VALUES (:id, :kind, :owner_id, :doctor_id, :patient_id, :starts_at, :ends_at, :expires_at)
ON CONFLICT DO NOTHING
""").bindparams(*[sa.bindparam(c.name, type_=c.type) for c in slot_claims.c])
)
_ATTEMPTS = 3  # refused, but the claim in the way was gone before it could be named


def _overlapping(column: sa.Column[Any], key: str) -> list[sa.ColumnElement[bool]]:
    return [
        column == sa.bindparam(key),
        _c.starts_at < sa.bindparam("end"),
        _c.ends_at > sa.bindparam("start"),
    ]


def _delete_expired(column: sa.Column[Any], key: str) -> Statement:
    return Statement(
        sa.delete(slot_claims).where(
            *_overlapping(column, key),
            _c.kind == _HOLD,
            _c.expires_at <= sa.bindparam("now"),
        )
    )


def _other_owner(column: sa.Column[Any], key: str) -> Statement:
    return Statement(
        sa.select(sa.literal(1))
        .where(*_overlapping(column, key), _c.owner_id != sa.bindparam("owner_id"))
        .limit(1)
    )


def _busy(column: sa.Column[Any], key: str) -> Statement:
    # By start alone, as the (party, starts_at) index reads: a party's live claims only
    # overlap within one owner's reschedule, and a tie-break on id made SQLite sort.
    return Statement(
        sa.select(_c.starts_at, _c.ends_at, _c.owner_id)
        .where(
            *_overlapping(column, key),
            sa.or_(_c.expires_at.is_(None), _c.expires_at > sa.bindparam("now")),
        )
        .order_by(_c.starts_at)
    )


_DELETE_EXPIRED_FOR_DOCTOR = _delete_expired(_c.doctor_id, "doctor_id")
_DELETE_EXPIRED_FOR_PATIENT = _delete_expired(_c.patient_id, "patient_id")
_OTHER_OWNER_FOR_DOCTOR = _other_owner(_c.doctor_id, "doctor_id")
_OTHER_OWNER_FOR_PATIENT = _other_owner(_c.patient_id, "patient_id")
_CLAIM_ID = Statement(sa.select(_c.id).where(_c.id == sa.bindparam("id")))
_DOCTOR_BUSY = _busy(_c.doctor_id, "doctor_id")
_PATIENT_BUSY = _busy(_c.patient_id, "patient_id")
_RELEASE = Statement(sa.delete(slot_claims).where(_c.id == sa.bindparam("id")))
_RELEASE_OWNER = Statement(sa.delete(slot_claims).where(_c.owner_id == sa.bindparam("owner_id")))
_EXPIRED_HOLDS = Statement(
    sa.select(slot_claims)
    .where(_c.kind == _HOLD, _c.expires_at <= sa.bindparam("now"))
    .order_by(_c.expires_at, _c.id)
    .limit(sa.bindparam("limit"))
)


class SqlSlotClaims:
    """`carehub.scheduling.ports.SlotClaims` in one unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def claim(self, claim: SlotClaim, *, now: datetime) -> None:
        window = _window(claim.start, claim.end, now)
        row = claim_row(claim)
        for _ in range(_ATTEMPTS):
            try:
                # A savepoint, so a refusal undoes the deletions too.
                async with self._session.savepoint():
                    await self._delete_expired_holds(claim, window)
                    if await self._session.execute(_INSERT_UNLESS_TAKEN, row) == 1:
                        return
                    party = await self._refused_for(claim, window)
                    if party is not None:
                        raise SlotTaken(party)
            except OverlapViolation as exc:  # SQLite's triggers raise instead
                raise SlotTaken(exc.party) from exc
            # The claim in the way was released before the read: try again.
        raise SlotTaken("doctor")  # taken and freed each time; too contended to tell

    async def _delete_expired_holds(self, claim: SlotClaim, window: dict[str, datetime]) -> None:
        await self._session.execute(
            _DELETE_EXPIRED_FOR_DOCTOR, {**window, "doctor_id": claim.doctor_id}
        )
        if claim.patient_id is not None:
            await self._session.execute(
                _DELETE_EXPIRED_FOR_PATIENT, {**window, "patient_id": claim.patient_id}
            )

    async def _refused_for(self, claim: SlotClaim, window: dict[str, datetime]) -> str | None:
        """Whose time the store refused the claim for. The refusal itself was the
        store's; this read only names the party, so it may find the way clear again."""
        params = {**window, "owner_id": claim.owner_id}
        doctor = {**params, "doctor_id": claim.doctor_id}
        if await self._session.fetch_one(_OTHER_OWNER_FOR_DOCTOR, doctor) is not None:
            return "doctor"
        if claim.patient_id is not None:
            patient = {**params, "patient_id": claim.patient_id}
            if await self._session.fetch_one(_OTHER_OWNER_FOR_PATIENT, patient) is not None:
                return "patient"
        if await self._session.fetch_one(_CLAIM_ID, {"id": claim.id}) is not None:
            raise UniqueViolation("slot_claims", ("id",))
        return None

    async def release(self, claim_id: str) -> bool:
        return await self._session.execute(_RELEASE, {"id": claim_id}) > 0

    async def release_owner(self, owner_id: str) -> int:
        return await self._session.execute(_RELEASE_OWNER, {"owner_id": owner_id})

    async def busy(
        self, *, doctor_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[BusyInterval]:
        params = {"doctor_id": doctor_id, **_window(start, end, now)}
        return [_interval(r) for r in await self._session.fetch_all(_DOCTOR_BUSY, params)]

    async def patient_busy(
        self, *, patient_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[BusyInterval]:
        params = {"patient_id": patient_id, **_window(start, end, now)}
        return [_interval(r) for r in await self._session.fetch_all(_PATIENT_BUSY, params)]

    async def expired_holds(self, *, now: datetime, limit: int) -> list[SlotClaim]:
        rows = await self._session.fetch_all(_EXPIRED_HOLDS, {"now": _utc(now), "limit": limit})
        return [claim_from_row(r) for r in rows]


def _window(start: datetime, end: datetime, now: datetime) -> dict[str, datetime]:
    return {"start": _utc(start), "end": _utc(end), "now": _utc(now)}


def _utc(value: datetime) -> datetime:
    """UTC, so SQLite's ISO-8601 text compares in time order."""
    if value.tzinfo is None:
        raise ValueError("slot claim times are timezone-aware")
    return value.astimezone(UTC)


def claim_row(claim: SlotClaim) -> dict[str, Any]:
    return {
        "id": claim.id,
        "kind": claim.kind.value,
        "owner_id": claim.owner_id,
        "doctor_id": claim.doctor_id,
        "patient_id": claim.patient_id,
        "starts_at": _utc(claim.start),
        "ends_at": _utc(claim.end),
        "expires_at": None if claim.expires_at is None else _utc(claim.expires_at),
    }


def _interval(row: Row) -> BusyInterval:
    return BusyInterval(as_datetime(row["starts_at"]), as_datetime(row["ends_at"]), row["owner_id"])


def claim_from_row(row: Row) -> SlotClaim:
    expires_at = row["expires_at"]
    return SlotClaim(
        id=row["id"],
        kind=ClaimKind(row["kind"]),
        owner_id=row["owner_id"],
        doctor_id=row["doctor_id"],
        patient_id=row["patient_id"],
        start=as_datetime(row["starts_at"]),
        end=as_datetime(row["ends_at"]),
        expires_at=None if expires_at is None else as_datetime(expires_at),
    )
