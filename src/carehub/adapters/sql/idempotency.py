"""Idempotency keys in SQL: claimed inside the unit of work, answered outside it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from carehub.adapters.sql.database import Database, Session, Statement, insert_into
from carehub.adapters.sql.tables import idempotency_keys
from carehub.kernel.clock import Clock
from carehub.kernel.idempotency import REPLAY_WINDOW, IdempotencyClaim, StoredOutcome

_k = idempotency_keys.c
_KEY = (_k.scope == sa.bindparam("scope"), _k.key == sa.bindparam("key"))
_FIND = Statement(
    sa.select(_k.fingerprint, _k.resource_id, _k.status, _k.body).where(
        *_KEY, _k.created_at >= sa.bindparam("since", type_=_k.created_at.type)
    )
)
_DELETE_EXPIRED = Statement(
    sa.delete(idempotency_keys).where(
        *_KEY, _k.created_at < sa.bindparam("since", type_=_k.created_at.type)
    )
)
_INSERT = insert_into(idempotency_keys)
_RECORD = Statement(
    sa.update(idempotency_keys)
    .where(*_KEY)
    .values(status=sa.bindparam("status"), body=sa.bindparam("body"))
)


async def claim_key(
    session: Session, claim: IdempotencyClaim, resource_id: str | None, now: datetime
) -> None:
    """Insert the claim; a live claim with the same key raises UniqueViolation."""
    key = {"scope": claim.scope, "key": claim.key}
    await session.execute(_DELETE_EXPIRED, {**key, "since": now - REPLAY_WINDOW})
    await session.execute(
        _INSERT,
        {
            **key,
            "fingerprint": claim.fingerprint,
            "resource_id": resource_id,
            "status": None,
            "body": None,
            "created_at": now,
        },
    )


class SqlIdempotencyStore:
    """Reads claims and records first responses (`carehub.kernel.idempotency.IdempotencyStore`)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def find(self, scope: str, key: str) -> StoredOutcome | None:
        async with self._db.session() as session:
            since = self._clock.now() - REPLAY_WINDOW
            row = await session.fetch_one(_FIND, {"scope": scope, "key": key, "since": since})
        if row is None:
            return None
        body = row["body"]
        return StoredOutcome(
            fingerprint=row["fingerprint"],
            resource_id=row["resource_id"],
            status=row["status"],
            body=bytes(body) if body is not None else None,
        )

    async def record_response(self, scope: str, key: str, status: int, body: bytes) -> None:
        async with self._db.session() as session:
            await session.execute(
                _RECORD, {"scope": scope, "key": key, "status": status, "body": body}
            )
            await session.commit()
