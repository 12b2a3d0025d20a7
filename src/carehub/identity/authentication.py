"""Who a bearer token proves the caller is: the check every authenticated request runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from carehub.identity.commands import ExternalRoles
from carehub.identity.errors import NotSignedIn
from carehub.identity.model import UserStatus
from carehub.identity.ports import (
    AccessClaims,
    AccessTokens,
    ExternalTokenVerifier,
    IdentityUnitOfWork,
    InvalidAccessToken,
    InvalidExternalToken,
)
from carehub.kernel.actor import Actor, ExternalSubject
from carehub.kernel.clock import Clock


class BearerAuthentication:
    """carehub's own access tokens, or the external provider's when one is configured.

    A carehub token proves only what its session still says: every request reads the
    session joined with its user (one indexed read, nothing cached), so a signed-out
    session, a disabled account or a changed role takes effect on the next request. The
    actor is built from the stored account, never from the token's role or links.
    """

    def __init__(
        self,
        uow_factory: Callable[[], IdentityUnitOfWork],
        clock: Clock,
        tokens: AccessTokens,
        external: ExternalTokenVerifier | None,
        external_roles: ExternalRoles,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._tokens = tokens
        self._external = external
        self._external_roles = external_roles

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
            actor = await self._session_actor(claims)
        return replace(actor, request_id=request_id, client_address=client)

    async def _session_actor(self, claims: AccessClaims) -> Actor:
        # carehub signs every token with its session: one without is not carehub's.
        if not claims.session_id:
            raise NotSignedIn()
        async with self._uow() as uow:
            user = await uow.sessions.signed_in_user(claims.session_id, now=self._clock.now())
        if user is None or user.id != claims.user_id:
            raise NotSignedIn("The session was signed out or has expired")
        if user.status is not UserStatus.ACTIVE:
            raise NotSignedIn("The account is not active")
        return user.actor(session_id=claims.session_id)

    async def _external_actor(self, token: str) -> Actor:
        assert self._external is not None
        try:
            identity = await self._external.verify(token)
        except InvalidExternalToken as exc:
            raise NotSignedIn() from exc
        role = self._external_roles.role_of(identity)
        if role is None:
            raise NotSignedIn("The token carries no carehub role")
        subject = ExternalSubject(identity.issuer, identity.subject, identity.email)
        user = None
        if identity.email:
            async with self._uow() as uow:
                user = await uow.users.get_by_email(identity.email.lower())
        if user is not None and user.status is UserStatus.ACTIVE:
            return replace(user.actor(), role=role, external=subject)
        actor = self._external_roles.actor_without_account(identity, role)
        if actor is None:
            raise NotSignedIn("No active carehub account matches this identity")
        return replace(actor, external=subject)
