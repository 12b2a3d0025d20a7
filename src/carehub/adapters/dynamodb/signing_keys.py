"""Token signing keys in the table: a handful of items in one partition (`SIGNING_KEYS` /
`KEY#{kid}`), private keys sealed by the secret box before they get here."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import orjson

from carehub.adapters.dynamodb.items import Item, to_wire
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.table_client import DynamoDbFailed, DynamoTable
from carehub.adapters.dynamodb.writes import NEW_ITEM, Condition
from carehub.adapters.identity.signing_keys import StoredSigningKey

_PARTITION = "SIGNING_KEYS"
_STILL_SIGNING = Condition("attribute_not_exists(superseded_at)")
# A rotation racing another one reads the keys again and supersedes the winner's key too.
_ATTEMPTS = 3


class DynamoSigningKeys:
    """The signing key store over carehub's table."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    async def all(self) -> list[StoredSigningKey]:
        return await self._read(DynamoSession(self._table))

    async def rotate_to(self, key: StoredSigningKey) -> None:
        for _ in range(_ATTEMPTS):
            session = DynamoSession(self._table)
            for signing in await self._read(session):
                if signing.superseded_at is None:
                    superseded = replace(signing, superseded_at=key.created_at)
                    session.writes.put(_item(superseded), condition=_STILL_SIGNING)
            session.writes.put(_item(key), condition=NEW_ITEM)
            actions = [write.transact_item(self._table.name) for write in session.writes.writes()]
            if await self._table.transact(actions, session.capacity) is None:
                return
        raise DynamoDbFailed("Signing keys kept changing during a rotation; try again")

    async def _read(self, session: DynamoSession) -> list[StoredSigningKey]:
        params = {
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": to_wire({":pk": _PARTITION}),
            "ConsistentRead": True,
        }
        found: list[StoredSigningKey] = []
        while True:
            items, last = await session.query(**params)
            found += [_key(item) for item in items]
            if last is None:
                return sorted(found, key=lambda stored: stored.created_at)
            params["ExclusiveStartKey"] = last


def _item(key: StoredSigningKey) -> Item:
    item: Item = {
        "PK": _PARTITION,
        "SK": f"KEY#{key.kid}",
        "kind": "signing-key",
        "kid": key.kid,
        "algorithm": key.algorithm,
        "private_pem": key.sealed_private_pem,
        "public_jwk": orjson.dumps(key.public_jwk).decode(),
        "created_at": key.created_at.isoformat(),
    }
    if key.superseded_at is not None:
        item["superseded_at"] = key.superseded_at.isoformat()
    return item


def _key(item: Item) -> StoredSigningKey:
    superseded = item.get("superseded_at")
    return StoredSigningKey(
        kid=str(item["kid"]),
        algorithm=str(item["algorithm"]),
        sealed_private_pem=str(item["private_pem"]),
        public_jwk=orjson.loads(item["public_jwk"]),
        created_at=datetime.fromisoformat(item["created_at"]),
        superseded_at=None if superseded is None else datetime.fromisoformat(superseded),
    )
