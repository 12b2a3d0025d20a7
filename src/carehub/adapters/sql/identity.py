"""Users, refresh sessions and one-time codes on SQL (the identity domain's ports)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from carehub.adapters.sql.database import (
    Row,
    Session,
    Statement,
    UniqueViolation,
    as_date,
    as_datetime,
    insert_into,
    versioned_update,
    versioned_update_params,
)
from carehub.adapters.sql.tables import otp_challenges, refresh_sessions, users
from carehub.identity.errors import EmailTaken, PatientLinkTaken
from carehub.identity.model import (
    OtpChallenge,
    OtpPurpose,
    RefreshSession,
    SignupProfile,
    User,
    UserStatus,
)
from carehub.kernel.actor import Role
from carehub.kernel.pagination import Page, cursor_position, encode_cursor

u = users.c
_INSERT_USER = insert_into(users, generated=())
_USER_BY_ID = Statement(sa.select(users).where(u.id == sa.bindparam("id")))
_USER_BY_EMAIL = Statement(sa.select(users).where(u.email == sa.bindparam("email")))
_UPDATE_USER = versioned_update(users)
_ANY_ADMIN = Statement(sa.select(u.id).where(u.role == Role.ADMIN.value).limit(1))
# PostgreSQL locks the rows; SQLite ignores FOR UPDATE, but its transaction already holds
# the single writer's lock (BEGIN IMMEDIATE), which serialises the same changes.
_LOCK_ACTIVE_ADMINS = Statement(
    sa.select(u.id)
    .where(u.role == Role.ADMIN.value, u.status == UserStatus.ACTIVE.value)
    .with_for_update()
)
_LIST_USERS = Statement(
    sa.select(users).where(u.id > sa.bindparam("after")).order_by(u.id).limit(sa.bindparam("limit"))
)

s = refresh_sessions.c
_INSERT_SESSION = insert_into(refresh_sessions, generated=())
_SESSION = Statement(sa.select(refresh_sessions).where(s.token_hash == sa.bindparam("token_hash")))
_ROTATE = Statement(
    sa.update(refresh_sessions)
    .where(
        s.token_hash == sa.bindparam("token_hash"),
        s.rotated_at.is_(None),
        s.revoked_at.is_(None),
    )
    .values(rotated_at=sa.bindparam("at"))
)
_REVOKE_FAMILY = Statement(
    sa.update(refresh_sessions)
    .where(s.family_id == sa.bindparam("family_id"), s.revoked_at.is_(None))
    .values(revoked_at=sa.bindparam("at"))
)
_REVOKE_USER = Statement(
    sa.update(refresh_sessions)
    .where(s.user_id == sa.bindparam("user_id"), s.revoked_at.is_(None))
    .values(revoked_at=sa.bindparam("at"))
)
# Every row of a family is revoked together, so any unrevoked, unexpired row proves it live.
_SIGNED_IN_USER = Statement(
    sa.select(users)
    .select_from(refresh_sessions.join(users, u.id == s.user_id))
    .where(
        s.family_id == sa.bindparam("family_id"),
        s.revoked_at.is_(None),
        s.expires_at > sa.bindparam("now"),
    )
    .limit(1)
)

o = otp_challenges.c
_DELETE_OTP = Statement(
    sa.delete(otp_challenges).where(
        o.email == sa.bindparam("email"), o.purpose == sa.bindparam("purpose")
    )
)
_INSERT_OTP = insert_into(otp_challenges, generated=())
_OTP = Statement(
    sa.select(otp_challenges).where(
        o.email == sa.bindparam("email"), o.purpose == sa.bindparam("purpose")
    )
)
_UPDATE_OTP = Statement(
    sa.update(otp_challenges)
    .where(o.email == sa.bindparam("b_email"), o.purpose == sa.bindparam("b_purpose"))
    .values(attempts=sa.bindparam("attempts"), consumed_at=sa.bindparam("consumed_at"))
)


class SqlUserRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, user: User) -> None:
        try:
            await self._session.execute(_INSERT_USER, user_row(user))
        except UniqueViolation as exc:
            raise _taken(exc) from exc

    async def get(self, user_id: str) -> User | None:
        row = await self._session.fetch_one(_USER_BY_ID, {"id": user_id})
        return None if row is None else user_from_row(row)

    async def get_by_email(self, email: str) -> User | None:
        row = await self._session.fetch_one(_USER_BY_EMAIL, {"email": email})
        return None if row is None else user_from_row(row)

    async def replace(self, user: User, *, expected_version: int) -> bool:
        row = versioned_update_params(user_row(user), expected_version)
        try:
            return await self._session.execute(_UPDATE_USER, row) == 1
        except UniqueViolation as exc:
            raise _taken(exc) from exc

    async def admin_exists(self) -> bool:
        return await self._session.fetch_one(_ANY_ADMIN) is not None

    async def lock_active_admins(self) -> frozenset[str]:
        await self._session.begin()
        rows = await self._session.fetch_all(_LOCK_ACTIVE_ADMINS)
        return frozenset(str(row["id"]) for row in rows)

    async def list(self, *, cursor: str | None, limit: int) -> Page[User]:
        after = "" if cursor is None else cursor_position(cursor, "after", str)
        rows = await self._session.fetch_all(_LIST_USERS, {"after": after, "limit": limit + 1})
        items = [user_from_row(r) for r in rows[:limit]]
        next_cursor = encode_cursor({"after": items[-1].id}) if len(rows) > limit else None
        return Page(items=items, next_cursor=next_cursor)


class SqlSessionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, refresh: RefreshSession) -> None:
        await self._session.execute(_INSERT_SESSION, dict(vars(refresh)))

    async def get(self, token_hash: str) -> RefreshSession | None:
        row = await self._session.fetch_one(_SESSION, {"token_hash": token_hash})
        if row is None:
            return None
        return RefreshSession(
            token_hash=row["token_hash"],
            family_id=row["family_id"],
            user_id=row["user_id"],
            issued_at=as_datetime(row["issued_at"]),
            expires_at=as_datetime(row["expires_at"]),
            rotated_at=_maybe_datetime(row["rotated_at"]),
            revoked_at=_maybe_datetime(row["revoked_at"]),
        )

    async def mark_rotated(self, token_hash: str, at: datetime) -> bool:
        return await self._session.execute(_ROTATE, {"token_hash": token_hash, "at": at}) == 1

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        await self._session.execute(_REVOKE_FAMILY, {"family_id": family_id, "at": at})

    async def revoke_user(self, user_id: str, at: datetime) -> None:
        await self._session.execute(_REVOKE_USER, {"user_id": user_id, "at": at})

    async def signed_in_user(self, family_id: str, *, now: datetime) -> User | None:
        row = await self._session.fetch_one(_SIGNED_IN_USER, {"family_id": family_id, "now": now})
        return None if row is None else user_from_row(row)


class SqlOtpRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    async def put(self, challenge: OtpChallenge) -> None:
        key = {"email": challenge.email, "purpose": challenge.purpose.value}
        await self._session.execute(_DELETE_OTP, key)
        row = dict(vars(challenge))
        row["purpose"] = challenge.purpose.value
        await self._session.execute(_INSERT_OTP, row)

    async def get(self, email: str, purpose: OtpPurpose) -> OtpChallenge | None:
        row = await self._session.fetch_one(_OTP, {"email": email, "purpose": purpose.value})
        if row is None:
            return None
        return OtpChallenge(
            email=row["email"],
            purpose=OtpPurpose(row["purpose"]),
            code_hash=row["code_hash"],
            expires_at=as_datetime(row["expires_at"]),
            attempts=int(row["attempts"]),
            consumed_at=_maybe_datetime(row["consumed_at"]),
        )

    async def replace(self, challenge: OtpChallenge) -> None:
        params = {
            "b_email": challenge.email,
            "b_purpose": challenge.purpose.value,
            "attempts": challenge.attempts,
            "consumed_at": challenge.consumed_at,
        }
        await self._session.execute(_UPDATE_OTP, params)


def _taken(exc: UniqueViolation) -> Exception:
    if "email" in exc.columns:
        return EmailTaken()
    if "patient_id" in exc.columns:
        return PatientLinkTaken()
    return exc


def user_row(user: User) -> dict[str, Any]:
    row = dict(vars(user))
    row["role"] = user.role.value
    row["status"] = user.status.value
    profile = user.signup_profile
    row["signup_profile"] = (
        None
        if profile is None
        else orjson.dumps(
            {
                "given": list(profile.given),
                "family": profile.family,
                "birthDate": profile.birth_date.isoformat() if profile.birth_date else None,
            }
        ).decode()
    )
    return row


def user_from_row(row: Row) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        role=Role(row["role"]),
        status=UserStatus(row["status"]),
        country_id=row["country_id"],
        patient_id=row["patient_id"],
        practitioner_id=row["practitioner_id"],
        password_hash=row["password_hash"],
        failed_logins=int(row["failed_logins"]),
        locked_until=_maybe_datetime(row["locked_until"]),
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
        version=int(row["version"]),
        signup_profile=_profile(row["signup_profile"]),
    )


def _profile(value: Any) -> SignupProfile | None:
    if value is None:
        return None
    data = orjson.loads(value) if isinstance(value, str | bytes) else value
    born = data.get("birthDate")
    birth_date: date | None = as_date(born) if born else None
    return SignupProfile(tuple(data["given"]), data["family"], birth_date)


def _maybe_datetime(value: Any) -> datetime | None:
    return None if value is None else as_datetime(value)
