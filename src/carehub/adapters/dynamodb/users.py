"""User accounts in the table: the record item (listed in GSI1 `USERS`, admins in GSI2
`ADMINS`), a guard per email and per linked patient record, and the roster of active
admins that keeps the last-admin rule safe from races (docs/dynamodb.md, "identity")."""

from __future__ import annotations

from typing import Any

from carehub.adapters.dynamodb.items import Item, Key, as_int, record_data, record_item
from carehub.adapters.dynamodb.pages import index_items, index_page
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import NEW_ITEM, Condition, Refusal, version_is
from carehub.adapters.sql.identity import user_from_row, user_row
from carehub.identity.errors import EmailTaken, PatientLinkTaken
from carehub.identity.model import User, UserStatus
from carehub.kernel.actor import Role
from carehub.kernel.errors import Conflict
from carehub.kernel.pagination import Page

_KIND = "user"
ROSTER: Key = ("ADMINS", "ROSTER")


class AdminsChangedMeanwhile(Conflict):
    """Another change to who is an active admin committed while this one ran."""

    def __init__(self) -> None:
        super().__init__("The admins changed while this request ran; try again")


def user_key(user_id: str) -> Key:
    return (f"USER#{user_id}", "USER")


def _email_guard(email: str) -> Key:
    return (f"EMAIL#{email}", "GUARD")


def _link_guard(patient_id: str) -> Key:
    return (f"PATIENT_LINK#{patient_id}", "GUARD")


def _owned_by(user_id: str) -> Condition:
    return Condition("user_id = :me", {":me": user_id})


def _is_active_admin(user: User) -> bool:
    return user.role is Role.ADMIN and user.status is UserStatus.ACTIVE


class DynamoUserRepository:
    """The users port over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session
        # The roster's version when this unit first read it (from the table): every roster
        # write of the unit is conditional on it, so a decision taken on that read (the
        # last-admin rule) cannot commit over a roster another unit changed since.
        self._roster_read: tuple[int | None] | None = None

    async def add(self, user: User) -> None:
        if await self._session.get(_email_guard(user.email)) is not None:
            raise EmailTaken()
        if user.patient_id is not None and await self._session.get(_link_guard(user.patient_id)):
            raise PatientLinkTaken()
        writes = self._session.writes
        writes.put(_item(user), condition=NEW_ITEM)
        self._claim(_email_guard(user.email), user.id, EmailTaken)
        if user.patient_id is not None:
            self._claim(_link_guard(user.patient_id), user.id, PatientLinkTaken)
        if _is_active_admin(user):
            await self._change_roster(add=user.id)

    async def get(self, user_id: str) -> User | None:
        item = await self._session.get(user_key(user_id))
        return None if item is None else _user(item)

    async def get_by_email(self, email: str) -> User | None:
        guard = await self._session.get(_email_guard(email))
        return None if guard is None else await self.get(str(guard["user_id"]))

    async def replace(self, user: User, *, expected_version: int) -> bool:
        stored = await self._session.get(user_key(user.id))
        if stored is None or stored.get("version") != expected_version:
            return False
        before = _user(stored)
        await self._move_guard(
            _email_guard(before.email), _email_guard(user.email), user.id, EmailTaken
        )
        await self._move_guard(
            None if before.patient_id is None else _link_guard(before.patient_id),
            None if user.patient_id is None else _link_guard(user.patient_id),
            user.id,
            PatientLinkTaken,
        )
        self._session.writes.put(_item(user), condition=version_is(expected_version))
        if _is_active_admin(before) and not _is_active_admin(user):
            await self._change_roster(remove=user.id)
        elif _is_active_admin(user) and not _is_active_admin(before):
            await self._change_roster(add=user.id)
        return True

    async def admin_exists(self) -> bool:
        return bool(await index_items(self._session, "GSI2", "ADMINS", limit=1))

    async def lock_active_admins(self) -> frozenset[str]:
        """The roster as this unit reads it. Nothing is locked: every change to who is an
        active admin rewrites the roster on the condition that it is the version this
        unit read, so of two changes made from the same roster only one commits."""
        ids, _ = await self._roster()
        return ids

    async def list(self, *, cursor: str | None, limit: int) -> Page[User]:
        return await index_page(
            self._session, "GSI1", "USERS", cursor=cursor, limit=limit, record=_user
        )

    def _claim(self, guard: Key, user_id: str, refusal: Refusal) -> None:
        item = {"PK": guard[0], "SK": guard[1], "kind": "user-guard", "user_id": user_id}
        self._session.writes.put(item, condition=NEW_ITEM, refusal=refusal)

    async def _move_guard(
        self, old: Key | None, new: Key | None, user_id: str, refusal: Refusal
    ) -> None:
        """Free the old unique value and take the new one, in this unit's transaction."""
        if old == new:
            return
        if new is not None:
            holder = await self._session.get(new)
            if holder is not None and holder.get("user_id") != user_id:
                raise refusal()
        if old is not None:
            self._session.writes.delete(old, condition=_owned_by(user_id))
        if new is not None:
            self._claim(new, user_id, refusal)

    async def _roster(self) -> tuple[frozenset[str], int | None]:
        """The active admins' ids and the roster's version (None: no roster yet)."""
        item = await self._session.get(ROSTER)
        version = None if item is None else as_int(item["version"])
        if self._roster_read is None:
            self._roster_read = (version,)
        return (frozenset() if item is None else frozenset(item["ids"])), version

    async def _change_roster(self, *, add: str | None = None, remove: str | None = None) -> None:
        ids, version = await self._roster()
        changed = (ids | {add} if add else ids) - {remove}
        item: dict[str, Any] = {
            "PK": ROSTER[0],
            "SK": ROSTER[1],
            "kind": "admin-roster",
            "ids": sorted(changed),
            "version": (version or 0) + 1,
        }
        assert self._roster_read is not None  # set by the read above
        (first,) = self._roster_read
        condition = NEW_ITEM if first is None else version_is(first)
        self._session.writes.put(item, condition=condition, refusal=AdminsChangedMeanwhile)


def _item(user: User) -> Item:
    admin = user.role is Role.ADMIN
    return record_item(
        user_key(user.id),
        kind=_KIND,
        data=user_row(user),
        version=user.version,
        indexes={
            "GSI1PK": "USERS",
            "GSI1SK": user.id,
            "GSI2PK": "ADMINS" if admin else None,
            "GSI2SK": user.id if admin else None,
        },
    )


def _user(item: Item) -> User:
    return user_from_row(record_data(item))
