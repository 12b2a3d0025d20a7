"""Token signing keys in the SQL `signing_keys` table."""

from __future__ import annotations

import orjson
import sqlalchemy as sa

from carehub.adapters.identity.signing_keys import StoredSigningKey
from carehub.adapters.sql.database import Database, Statement, as_datetime, insert_into
from carehub.adapters.sql.tables import signing_keys

k = signing_keys.c
_KEYS = Statement(sa.select(signing_keys).order_by(k.created_at))
_INSERT_KEY = insert_into(signing_keys, generated=())
_SUPERSEDE = Statement(
    sa.update(signing_keys)
    .where(k.superseded_at.is_(None))
    .values(superseded_at=sa.bindparam("at"))
)


class SqlSigningKeys:
    """The signing key store over a SQL database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[StoredSigningKey]:
        async with self._db.session() as session:
            rows = await session.fetch_all(_KEYS)
        keys = []
        for row in rows:
            jwk = row["public_jwk"]
            superseded = row["superseded_at"]
            keys.append(
                StoredSigningKey(
                    kid=row["kid"],
                    algorithm=row["algorithm"],
                    sealed_private_pem=row["private_pem"],
                    public_jwk=orjson.loads(jwk) if isinstance(jwk, str) else jwk,
                    created_at=as_datetime(row["created_at"]),
                    superseded_at=None if superseded is None else as_datetime(superseded),
                )
            )
        return keys

    async def rotate_to(self, key: StoredSigningKey) -> None:
        async with self._db.session() as session:
            await session.execute(_SUPERSEDE, {"at": key.created_at})
            await session.execute(
                _INSERT_KEY,
                {
                    "kid": key.kid,
                    "algorithm": key.algorithm,
                    "private_pem": key.sealed_private_pem,
                    "public_jwk": orjson.dumps(key.public_jwk).decode(),
                    "created_at": key.created_at,
                    "superseded_at": None,
                },
            )
            await session.commit()
