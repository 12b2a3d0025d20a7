"""Users, refresh sessions, one-time codes and access tokens in memory
(`carehub.identity.ports`), with the SQL store's unique emails and conditional writes."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from carehub.adapters.memory.pages import page_of
from carehub.adapters.memory.store import MemoryStore
from carehub.identity.errors import EmailTaken, PatientLinkTaken
from carehub.identity.model import OtpChallenge, OtpPurpose, RefreshSession, User, UserStatus
from carehub.identity.ports import AccessClaims, InvalidAccessToken
from carehub.kernel.actor import Role
from carehub.kernel.clock import Clock
from carehub.kernel.pagination import Page, cursor_position


class MemoryUsers:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, user: User) -> None:
        if user.id in self._store.users:
            raise ValueError(f"user {user.id} exists")  # SQL's primary key refuses it too
        self._check_free(user)
        self._store.users[user.id] = user

    async def get(self, user_id: str) -> User | None:
        return self._store.users.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        return next((u for u in self._store.users.values() if u.email == email), None)

    async def replace(self, user: User, *, expected_version: int) -> bool:
        current = self._store.users.get(user.id)
        if current is None or current.version != expected_version:
            return False
        self._check_free(user)
        self._store.users[user.id] = user
        return True

    async def admin_exists(self) -> bool:
        return any(u.role is Role.ADMIN for u in self._store.users.values())

    async def lock_active_admins(self) -> frozenset[str]:
        return frozenset(
            u.id
            for u in self._store.users.values()
            if u.role is Role.ADMIN and u.status is UserStatus.ACTIVE
        )

    async def list(self, *, cursor: str | None, limit: int) -> Page[User]:
        after = "" if cursor is None else cursor_position(cursor, "after", str)
        found = [u for key, u in sorted(self._store.users.items()) if key > after]
        return page_of(found, limit, lambda u: {"after": u.id})

    def _check_free(self, user: User) -> None:
        others = [u for u in self._store.users.values() if u.id != user.id]
        if any(u.email == user.email for u in others):
            raise EmailTaken()
        if user.patient_id is not None and any(u.patient_id == user.patient_id for u in others):
            raise PatientLinkTaken()


class MemorySessions:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, session: RefreshSession) -> None:
        if session.token_hash in self._store.sessions:
            raise ValueError("refresh token exists")
        self._store.sessions[session.token_hash] = session

    async def get(self, token_hash: str) -> RefreshSession | None:
        return self._store.sessions.get(token_hash)

    async def mark_rotated(self, token_hash: str, at: datetime) -> bool:
        current = self._store.sessions.get(token_hash)
        if current is None or current.rotated_at is not None or current.revoked_at is not None:
            return False
        self._store.sessions[token_hash] = replace(current, rotated_at=at)
        return True

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        self._revoke(lambda s: s.family_id == family_id, at)

    async def revoke_user(self, user_id: str, at: datetime) -> None:
        self._revoke(lambda s: s.user_id == user_id, at)

    async def signed_in_user(self, family_id: str, *, now: datetime) -> User | None:
        live = (
            s
            for s in self._store.sessions.values()
            if s.family_id == family_id and s.revoked_at is None and s.expires_at > now
        )
        session = next(live, None)
        return None if session is None else self._store.users.get(session.user_id)

    def _revoke(self, chosen: Callable[[RefreshSession], bool], at: datetime) -> None:
        for key, s in list(self._store.sessions.items()):
            if chosen(s) and s.revoked_at is None:
                self._store.sessions[key] = replace(s, revoked_at=at)


class MemoryOtps:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def put(self, challenge: OtpChallenge) -> None:
        self._store.otps[(challenge.email, challenge.purpose)] = challenge

    async def get(self, email: str, purpose: OtpPurpose) -> OtpChallenge | None:
        return self._store.otps.get((email, purpose))

    async def replace(self, challenge: OtpChallenge) -> None:
        key = (challenge.email, challenge.purpose)
        current = self._store.otps.get(key)
        if current is not None:  # as SQL's UPDATE: only attempts and consumption change
            self._store.otps[key] = replace(
                current, attempts=challenge.attempts, consumed_at=challenge.consumed_at
            )


class OpaqueAccessTokens:
    """Access tokens that are random strings remembered in this process, not signed JWTs:
    they prove nothing outside it, which is all a unit test needs."""

    def __init__(self, clock: Clock, *, ttl_seconds: int = 900) -> None:
        self.issuer = "carehub-memory"
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._issued: dict[str, tuple[AccessClaims, datetime]] = {}
        self._kid = secrets.token_hex(4)

    async def issue(self, claims: AccessClaims) -> str:
        token = secrets.token_urlsafe(24)
        expires_at = self._clock.now() + timedelta(seconds=self.ttl_seconds)
        self._issued[token] = (claims, expires_at)
        return token

    async def verify(self, token: str) -> AccessClaims:
        found = self._issued.get(token)
        if found is None:
            raise InvalidAccessToken("not a token this process issued")
        claims, expires_at = found
        if expires_at <= self._clock.now():
            raise InvalidAccessToken("expired")
        return claims

    async def public_keys(self) -> list[dict[str, object]]:
        return []  # nothing is signed, so there is no key to publish

    async def rotate(self) -> str:
        self._kid = secrets.token_hex(4)
        return self._kid
