"""Sign-in sessions: password sign-in, refresh rotation, sign-out, and the bearer check
(`authentication.BearerAuthentication`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from carehub.identity.accounts import save_user
from carehub.identity.authentication import BearerAuthentication
from carehub.identity.commands import ExternalRoles, TokenPair
from carehub.identity.errors import SessionInvalid, SignInFailed
from carehub.identity.hashing import HashSlot
from carehub.identity.model import (
    ASSIGNABLE_ROLES,
    REFRESH_TTL,
    RefreshSession,
    User,
    UserStatus,
    normalise_email,
    refresh_token_hash,
)
from carehub.identity.ports import (
    AccessClaims,
    AccessTokens,
    ExternalTokenVerifier,
    IdentityUnitOfWork,
)
from carehub.identity.throttle import SignInThrottle
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.ids import new_id


class SessionService:
    def __init__(
        self,
        uow_factory: Callable[[], IdentityUnitOfWork],
        clock: Clock,
        *,
        hashes: HashSlot,
        tokens: AccessTokens,
        throttle: SignInThrottle,
        external: ExternalTokenVerifier | None = None,
        external_roles: ExternalRoles | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._hashes = hashes
        self.tokens = tokens
        self._throttle = throttle
        self._bearer = BearerAuthentication(
            uow_factory,
            clock,
            tokens,
            external,
            external_roles or ExternalRoles({role.value: role for role in ASSIGNABLE_ROLES}),
        )
        # Checked against when an email is unknown, so both paths cost one hash; made by the
        # first sign-in (`_decoy_hash`), not at start.
        self._dummy_hash: str | None = None

    async def login(self, *, email: str, password: str, client: str | None) -> TokenPair:
        email = normalise_email(email)
        await self._throttle.count("login", email, client)
        decoy = await self._decoy_hash()
        async with self._uow() as uow:
            user = await uow.users.get_by_email(email)
        hashed = user.password_hash if user and user.password_hash else decoy
        matches = await self._hashes.verify(hashed, password)
        now = self._clock.now()
        if user is None or user.password_hash is None:
            raise SignInFailed()
        if user.locked(now) or user.status is not UserStatus.ACTIVE or not matches:
            if not matches and not user.locked(now):
                await save_user(self._uow, user.after_failed_login(now))
            raise SignInFailed()
        if user.failed_logins or user.locked_until:
            await save_user(self._uow, user.after_login(now))
        await self._throttle.reset("login", email)
        return await self.start(user)

    async def refresh(self, *, refresh_token: str) -> TokenPair:
        """Rotate a refresh token. Presenting a used one revokes its whole family."""
        now = self._clock.now()
        token_hash = refresh_token_hash(refresh_token)
        async with self._uow() as uow:
            session = await uow.sessions.get(token_hash)
            if session is None or session.expires_at <= now:
                raise SessionInvalid()
            if not session.usable(now) or not await uow.sessions.mark_rotated(token_hash, now):
                await uow.sessions.revoke_family(session.family_id, now)
                await uow.commit()
                raise SessionInvalid()
            user = await uow.users.get(session.user_id)
            if user is None or user.status is not UserStatus.ACTIVE:
                await uow.sessions.revoke_family(session.family_id, now)
                await uow.commit()
                raise SessionInvalid()
            pair, new_session = await self._tokens_for(user, session.family_id)
            await uow.sessions.add(new_session)
            await uow.commit()
        return pair

    async def logout(self, *, refresh_token: str | None, actor: Actor | None) -> None:
        """Revoke the session of the refresh token and/or of the calling access token."""
        now = self._clock.now()
        families: set[str] = set()
        async with self._uow() as uow:
            if refresh_token:
                session = await uow.sessions.get(refresh_token_hash(refresh_token))
                if session is not None:
                    families.add(session.family_id)
            if actor is not None and actor.session_id:
                families.add(actor.session_id)
            for family in families:
                await uow.sessions.revoke_family(family, now)
            await uow.commit()

    async def authenticate(
        self, token: str, *, request_id: str | None, client: str | None
    ) -> Actor:
        """The actor a bearer token proves (see `BearerAuthentication`)."""
        return await self._bearer.authenticate(token, request_id=request_id, client=client)

    async def start(self, user: User) -> TokenPair:
        """Open a new session for an account whose owner was just proved (by a password
        here, by a mailed code in `one_time_codes`)."""
        async with self._uow() as uow:
            pair, session = await self._tokens_for(user, new_id())
            await uow.sessions.add(session)
            await uow.commit()
        return pair

    async def _decoy_hash(self) -> str:
        """The hash an unknown email's password is checked against. Made by the first
        sign-in whichever account it names, so that one costs the same either way; a process
        that signs nobody in (a Lambda container answering other requests, a worker) never
        spends the 64 MiB and the time of a hash on it."""
        if self._dummy_hash is None:
            self._dummy_hash = await self._hashes.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    async def _tokens_for(self, user: User, family_id: str) -> tuple[TokenPair, RefreshSession]:
        now = self._clock.now()
        refresh_token = secrets.token_urlsafe(32)
        session = RefreshSession(
            token_hash=refresh_token_hash(refresh_token),
            family_id=family_id,
            user_id=user.id,
            issued_at=now,
            expires_at=now + REFRESH_TTL,
        )
        access = await self.tokens.issue(
            AccessClaims(
                user_id=user.id,
                role=user.role.value,
                session_id=family_id,
                country_id=user.country_id,
                patient_id=user.patient_id,
                practitioner_id=user.practitioner_id,
            )
        )
        return TokenPair(access, refresh_token, self.tokens.ttl_seconds), session
