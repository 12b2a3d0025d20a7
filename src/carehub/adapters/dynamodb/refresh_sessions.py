"""Refresh sessions in the table: one item per token hash, listed by family in GSI1 and by
user in GSI2, so revocations and the per-request sign-in check are key reads and small
queries (docs/dynamodb.md, "identity")."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from carehub.adapters.dynamodb.items import Item, Key, record_data, record_item, utc_text
from carehub.adapters.dynamodb.pages import index_items
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.users import DynamoUserRepository
from carehub.adapters.dynamodb.writes import Condition
from carehub.identity.errors import SessionInvalid
from carehub.identity.model import RefreshSession, User

_KIND = "refresh-session"
_SK = "SESSION"
# TTL removes a session a day after it expired; until then reads check `expires_at`.
_KEPT_AFTER_EXPIRY = timedelta(days=1)
_STILL_USABLE = Condition("attribute_not_exists(rotated_at) AND attribute_not_exists(revoked_at)")


def _key(token_hash: str) -> Key:
    return (f"SESSION#{token_hash}", _SK)


def _family(family_id: str) -> str:
    return f"FAMILY#{family_id}"


def _of_user(user_id: str) -> str:
    return f"USER#{user_id}#SESSIONS"


class DynamoSessionRepository:
    """The refresh sessions port over a DynamoDB session."""

    def __init__(self, session: DynamoSession, users: DynamoUserRepository) -> None:
        self._session = session
        self._users = users

    async def add(self, refresh: RefreshSession) -> None:
        self._session.writes.put(_item(refresh))

    async def get(self, token_hash: str) -> RefreshSession | None:
        item = await self._session.get(_key(token_hash))
        return None if item is None else _refresh(item)

    async def mark_rotated(self, token_hash: str, at: datetime) -> bool:
        stored = await self.get(token_hash)
        if stored is None or stored.rotated_at is not None or stored.revoked_at is not None:
            return False
        # A refresh racing this one with the same token loses at commit: sign in again.
        rotated = _item(replace(stored, rotated_at=at))
        self._session.writes.put(rotated, condition=_STILL_USABLE, refusal=SessionInvalid)
        return True

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        await self._revoke(await self._listed("GSI1", _family(family_id)), at)

    async def revoke_user(self, user_id: str, at: datetime) -> None:
        await self._revoke(await self._listed("GSI2", _of_user(user_id)), at)

    async def signed_in_user(self, family_id: str, *, now: datetime) -> User | None:
        """Any live session of the family names its user: the family's index partition
        (newest first) gives the candidates, a consistent read of the key confirms one,
        since the index may lag a revocation."""
        for token_hash in reversed(await self._listed("GSI1", _family(family_id))):
            found = await self.get(token_hash)
            if found is not None and found.revoked_at is None and found.expires_at > now:
                return await self._users.get(found.user_id)
        return None

    async def _listed(self, index: str, partition: str) -> list[str]:
        """The token hashes listed in an index partition, in its order, with this unit's
        own sessions of that partition laid over it."""
        stored = await index_items(self._session, index, partition, limit=None)
        listed = {str(item["PK"]): str(item[f"{index}SK"]) for item in stored}
        for pk, item in self._session.writes.written(_SK).items():
            if item is not None and item.get(f"{index}PK") == partition:
                listed[pk] = str(item[f"{index}SK"])
        ordered = sorted(listed, key=lambda pk: listed[pk])
        return [pk.removeprefix("SESSION#") for pk in ordered]

    async def _revoke(self, token_hashes: list[str], at: datetime) -> None:
        # Unconditional: a revocation wins over a rotation racing it (the session ends
        # revoked either way), and an earlier revocation read here keeps its time.
        for token_hash in token_hashes:
            found = await self.get(token_hash)
            if found is not None and found.revoked_at is None:
                self._session.writes.put(_item(replace(found, revoked_at=at)))


def _item(refresh: RefreshSession) -> Item:
    item = record_item(
        _key(refresh.token_hash),
        kind=_KIND,
        data=_row(refresh),
        indexes={
            "GSI1PK": _family(refresh.family_id),
            "GSI1SK": f"{utc_text(refresh.issued_at)}#{refresh.token_hash}",
            "GSI2PK": _of_user(refresh.user_id),
            "GSI2SK": f"{refresh.family_id}#{refresh.token_hash}",
        },
    )
    # Top-level markers, which the rotation's condition tests.
    if refresh.rotated_at is not None:
        item["rotated_at"] = utc_text(refresh.rotated_at)
    if refresh.revoked_at is not None:
        item["revoked_at"] = utc_text(refresh.revoked_at)
    item["expires_at"] = int((refresh.expires_at + _KEPT_AFTER_EXPIRY).timestamp())
    return item


def _row(refresh: RefreshSession) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in vars(refresh).items()
    }


def _refresh(item: Item) -> RefreshSession:
    data = record_data(item)

    def maybe(name: str) -> datetime | None:
        value = data[name]
        return None if value is None else datetime.fromisoformat(value)

    return RefreshSession(
        token_hash=data["token_hash"],
        family_id=data["family_id"],
        user_id=data["user_id"],
        issued_at=datetime.fromisoformat(data["issued_at"]),
        expires_at=datetime.fromisoformat(data["expires_at"]),
        rotated_at=maybe("rotated_at"),
        revoked_at=maybe("revoked_at"),
    )
