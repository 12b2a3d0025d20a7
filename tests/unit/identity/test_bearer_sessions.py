"""A carehub access token proves its bearer only while its session lives and its account
is active; the actor comes from the stored account, not from the token's claims."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.identity.commands import NewUser, TokenPair, UserChanges
from carehub.identity.errors import NotSignedIn, UserNotFound
from carehub.identity.model import REFRESH_TTL, User, UserStatus
from carehub.identity.ports import AccessClaims
from carehub.identity.service import IdentityUseCases
from carehub.kernel.actor import Actor, ExternalSubject, Role
from carehub.kernel.ids import new_id
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN

PASSWORD = "correct horse battery"


async def signed_in_staff(identity: IdentityUseCases) -> tuple[User, TokenPair]:
    new = NewUser(email="staff@example.org", role=Role.STAFF, password=PASSWORD, country_id="PE")
    user = await identity.accounts.create_user(actor=ADMIN, new=new)
    pair = await identity.sessions.login(email=new.email, password=PASSWORD, client=None)
    return user, pair


async def refused(identity: IdentityUseCases, token: str) -> None:
    with pytest.raises(NotSignedIn):
        await identity.sessions.authenticate(token, request_id=None, client=None)


async def test_a_validly_signed_token_without_a_live_session_proves_nothing(
    identity: IdentityUseCases,
) -> None:
    user, pair = await signed_in_staff(identity)
    forged = [
        AccessClaims(user_id=new_id(), role="admin", session_id=None),
        AccessClaims(user_id=new_id(), role="admin", session_id=new_id()),
        AccessClaims(user_id=user.id, role="admin", session_id=new_id()),
    ]
    for claims in forged:
        await refused(identity, await identity.sessions.tokens.issue(claims))
    # A live session proves only its own account, whatever `sub` the token names.
    live = await identity.sessions.authenticate(pair.access_token, request_id=None, client=None)
    other = AccessClaims(user_id=new_id(), role="admin", session_id=live.session_id)
    await refused(identity, await identity.sessions.tokens.issue(other))


async def test_the_actor_takes_role_and_links_from_the_account_not_the_token(
    identity: IdentityUseCases, store: MemoryStore
) -> None:
    user, pair = await signed_in_staff(identity)
    store.users[user.id] = replace(user, role=Role.DOCTOR, country_id="CO")
    actor = await identity.sessions.authenticate(pair.access_token, request_id=None, client=None)
    assert (actor.id, actor.role, actor.country_id) == (user.id, Role.DOCTOR, "CO")


async def test_a_disabled_account_is_refused_at_once(
    identity: IdentityUseCases, store: MemoryStore
) -> None:
    user, pair = await signed_in_staff(identity)
    # Even a disabling that left its sessions standing refuses the next request.
    store.users[user.id] = replace(user, status=UserStatus.DISABLED)
    await refused(identity, pair.access_token)


async def test_signing_out_or_an_admin_change_ends_the_session(identity: IdentityUseCases) -> None:
    user, pair = await signed_in_staff(identity)
    await identity.sessions.logout(refresh_token=pair.refresh_token, actor=None)
    await refused(identity, pair.access_token)
    again = await identity.sessions.login(email=user.email, password=PASSWORD, client=None)
    await identity.accounts.change_user(
        actor=ADMIN, user_id=user.id, changes=UserChanges(status=UserStatus.DISABLED)
    )
    await refused(identity, again.access_token)


async def test_an_expired_session_is_refused(identity: IdentityUseCases, clock: StillClock) -> None:
    user, pair = await signed_in_staff(identity)
    live = await identity.sessions.authenticate(pair.access_token, request_id=None, client=None)
    clock.advance(REFRESH_TTL + timedelta(seconds=1))
    # A token issued just now, so only the session's age can refuse it.
    claims = AccessClaims(user_id=user.id, role="staff", session_id=live.session_id)
    await refused(identity, await identity.sessions.tokens.issue(claims))


async def test_me_describes_an_external_principal_without_an_account(
    identity: IdentityUseCases,
) -> None:
    subject = ExternalSubject(issuer="https://idp.example", subject="abc", email="a@b.example")
    external = Actor(id="oidc:abc", role=Role.STAFF, external=subject)
    assert await identity.accounts.me(actor=external) is None
    with pytest.raises(UserNotFound):  # a carehub principal always has its account
        await identity.accounts.me(actor=Actor(id="oidc:abc", role=Role.STAFF))
    user, pair = await signed_in_staff(identity)
    actor = await identity.sessions.authenticate(pair.access_token, request_id=None, client=None)
    assert await identity.accounts.me(actor=actor) == user
