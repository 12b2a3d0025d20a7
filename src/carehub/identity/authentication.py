"""Who a bearer token proves the caller is: the check every authenticated request runs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from carehub.identity.commands import ExternalRoles
from carehub.identity.errors import NotSignedIn
from carehub.identity.model import UserStatus
from carehub.identity.ports import (
    AccessTokens,
    ExternalTokenVerifier,
    IdentityUnitOfWork,
    InvalidAccessToken,
    InvalidExternalToken,
)
from carehub.kernel.actor import Actor, Role

# How long a process trusts that a session was not revoked before asking the store again.
REVOCATION_CHECK_SECONDS = 5.0
_LIVE_SESSIONS_KEPT = 100_000


class BearerAuthentication:
    """carehub's own access tokens, or the external provider's when one is configured."""

    def __init__(
        self,
        uow_factory: Callable[[], IdentityUnitOfWork],
        tokens: AccessTokens,
        external: ExternalTokenVerifier | None,
        external_roles: ExternalRoles,
    ) -> None:
        self._uow = uow_factory
        self._tokens = tokens
        self._external = external
        self._external_roles = external_roles
        self._live_sessions: dict[str, float] = {}

    async def authenticate(
        self, token: str, *, request_id: str | None, client: str | None
    ) -> Actor:
        """The actor a bearer token proves: a carehub token, or the external provider's."""
        try:
            claims = await self._tokens.verify(token)
        except InvalidAccessToken as exc:
            if self._external is None:
                raise NotSignedIn() from exc
            actor = await self._external_actor(token)
        else:
            if claims.session_id and not await self._session_live(claims.session_id):
                raise NotSignedIn("The session was signed out")
            actor = Actor(
                id=claims.user_id,
                role=Role(claims.role),
                country_id=claims.country_id,
                patient_id=claims.patient_id,
                practitioner_id=claims.practitioner_id,
                session_id=claims.session_id,
            )
        return replace(actor, request_id=request_id, client_address=client)

    def vouch(self, family_id: str) -> None:
        """A session this process just started is live without asking the store."""
        self._remember(family_id)

    def forget(self, families: Iterable[str]) -> None:
        """Sessions this process signed out: ask the store again before trusting them."""
        for family in families:
            self._live_sessions.pop(family, None)

    def forget_all(self) -> None:
        self._live_sessions.clear()

    def _remember(self, family_id: str) -> None:
        if len(self._live_sessions) > _LIVE_SESSIONS_KEPT:
            self._live_sessions.clear()
        self._live_sessions[family_id] = time.monotonic()

    async def _session_live(self, family_id: str) -> bool:
        checked = self._live_sessions.get(family_id)
        if checked is not None and time.monotonic() - checked < REVOCATION_CHECK_SECONDS:
            return True
        async with self._uow() as uow:
            revoked = await uow.sessions.family_revoked(family_id)
        if revoked:
            self._live_sessions.pop(family_id, None)
            return False
        self._remember(family_id)
        return True

    async def _external_actor(self, token: str) -> Actor:
        assert self._external is not None
        try:
            identity = await self._external.verify(token)
        except InvalidExternalToken as exc:
            raise NotSignedIn() from exc
        role = self._external_roles.role_of(identity)
        if role is None:
            raise NotSignedIn("The token carries no carehub role")
        user = None
        if identity.email:
            async with self._uow() as uow:
                user = await uow.users.get_by_email(identity.email.lower())
        if user is not None and user.status is UserStatus.ACTIVE:
            return replace(user.actor(), role=role)
        actor = self._external_roles.actor_without_account(identity, role)
        if actor is None:
            raise NotSignedIn("No active carehub account matches this identity")
        return actor
