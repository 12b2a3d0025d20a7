"""The identity use cases over the memory adapters: accounts, password sign-in and lockout,
refresh rotation and reuse detection, sign-up by mailed code, and throttling."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from carehub.adapters.memory.mail import MemoryMailer
from carehub.adapters.memory.store import MemoryStore
from carehub.identity.commands import NewUser, Signup, TokenPair, UserChanges
from carehub.identity.errors import (
    CodeRejected,
    EmailTaken,
    LastAdmin,
    NotSignedIn,
    SessionInvalid,
    SignInFailed,
    Throttled,
)
from carehub.identity.model import LOCKOUT, MAX_FAILED_LOGINS, OTP_MAX_TRIES, User, UserStatus
from carehub.identity.service import IdentityUseCases
from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Forbidden, Invalid
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN, NOW, event_types
from tests.unit.identity.conftest import LIMITS, RecordedPatients

PASSWORD = "correct horse battery"


async def staff(identity: IdentityUseCases, email: str = "staff@example.org") -> User:
    new = NewUser(email=email, role=Role.STAFF, password=PASSWORD, country_id="PE")
    return await identity.accounts.create_user(actor=ADMIN, new=new)


async def login(identity: IdentityUseCases, email: str, password: str = PASSWORD) -> TokenPair:
    return await identity.sessions.login(email=email, password=password, client="10.0.0.1")


def mailed_code(mailer: MemoryMailer, email: str) -> str:
    match = re.search(r"\b(\d{6})\b", mailer.to(email)[-1].text)
    assert match, "no code in the message"
    return match.group(1)


# --- accounts ------------------------------------------------------------------------------


async def test_only_admins_create_accounts(identity: IdentityUseCases, store: MemoryStore) -> None:
    new = NewUser(email="x@example.org", role=Role.STAFF, password=PASSWORD)
    with pytest.raises(Forbidden):
        await identity.accounts.create_user(actor=Actor(id="s", role=Role.STAFF), new=new)
    assert store.users == {}
    user = await staff(identity)
    assert (user.email, user.status, store.users[user.id].role) == (
        "staff@example.org",
        UserStatus.ACTIVE,
        Role.STAFF,
    )
    assert event_types(store) == ["identity.user_created.v1"]


async def test_an_email_has_one_account_whatever_its_case(identity: IdentityUseCases) -> None:
    await staff(identity, "staff@example.org")
    with pytest.raises(EmailTaken):
        await staff(identity, "  STAFF@example.org ")


async def test_weak_passwords_are_refused(identity: IdentityUseCases, store: MemoryStore) -> None:
    new = NewUser(email="x@example.org", role=Role.STAFF, password="short")
    with pytest.raises(Invalid):
        await identity.accounts.create_user(actor=ADMIN, new=new)
    assert store.users == {}


async def test_the_first_admin_is_created_once(identity: IdentityUseCases) -> None:
    assert (
        await identity.accounts.ensure_admin(email="root@example.org", password=PASSWORD)
        is not None
    )
    assert (
        await identity.accounts.ensure_admin(email="other@example.org", password=PASSWORD) is None
    )


# --- password sign-in ----------------------------------------------------------------------


async def test_signing_in_gives_a_token_that_proves_the_account(identity: IdentityUseCases) -> None:
    user = await staff(identity)
    pair = await login(identity, "Staff@Example.org")
    actor = await identity.sessions.authenticate(
        pair.access_token, request_id="r-1", client="10.0.0.1"
    )
    assert (actor.id, actor.role, actor.country_id, actor.request_id) == (
        user.id,
        Role.STAFF,
        "PE",
        "r-1",
    )


async def test_a_wrong_password_and_an_unknown_email_fail_alike(identity: IdentityUseCases) -> None:
    await staff(identity)
    with pytest.raises(SignInFailed):
        await login(identity, "staff@example.org", "wrong password here")
    with pytest.raises(SignInFailed):
        await login(identity, "nobody@example.org")


async def test_repeated_wrong_passwords_lock_the_account_for_a_while(
    identity: IdentityUseCases, store: MemoryStore, clock: StillClock
) -> None:
    user = await staff(identity)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(SignInFailed):
            await login(identity, "staff@example.org", "wrong password here")
    assert store.users[user.id].locked_until == NOW + LOCKOUT
    with pytest.raises(SignInFailed):  # even the right password, while locked
        await login(identity, "staff@example.org")
    clock.advance(LOCKOUT)
    await login(identity, "staff@example.org")
    assert (store.users[user.id].failed_logins, store.users[user.id].locked_until) == (0, None)


async def test_a_disabled_account_cannot_sign_in(identity: IdentityUseCases) -> None:
    user = await staff(identity)
    await identity.accounts.change_user(
        actor=ADMIN, user_id=user.id, changes=UserChanges(status=UserStatus.DISABLED)
    )
    with pytest.raises(SignInFailed):
        await login(identity, "staff@example.org")


async def test_the_last_active_admin_cannot_be_disabled_or_demoted(
    identity: IdentityUseCases, store: MemoryStore
) -> None:
    first = await identity.accounts.create_user(
        actor=ADMIN, new=NewUser(email="first@example.org", role=Role.ADMIN, password=PASSWORD)
    )
    second = await identity.accounts.create_user(
        actor=ADMIN, new=NewUser(email="second@example.org", role=Role.ADMIN, password=PASSWORD)
    )
    await identity.accounts.change_user(
        actor=ADMIN, user_id=second.id, changes=UserChanges(status=UserStatus.DISABLED)
    )
    for changes in (UserChanges(status=UserStatus.DISABLED), UserChanges(role=Role.STAFF)):
        with pytest.raises(LastAdmin):
            await identity.accounts.change_user(actor=ADMIN, user_id=first.id, changes=changes)
    assert (store.users[first.id].role, store.users[first.id].status) == (
        Role.ADMIN,
        UserStatus.ACTIVE,
    )
    # Another active admin makes the change possible again; other edits never need one.
    await identity.accounts.change_user(
        actor=ADMIN, user_id=first.id, changes=UserChanges(country_id="PE")
    )
    await identity.accounts.change_user(
        actor=ADMIN, user_id=second.id, changes=UserChanges(status=UserStatus.ACTIVE)
    )
    demoted = await identity.accounts.change_user(
        actor=ADMIN, user_id=first.id, changes=UserChanges(role=Role.STAFF)
    )
    assert demoted.role is Role.STAFF


async def test_too_many_attempts_are_throttled(identity: IdentityUseCases) -> None:
    for _ in range(LIMITS.per_account):
        with pytest.raises(SignInFailed):
            await login(identity, "nobody@example.org")
    with pytest.raises(Throttled):
        await login(identity, "nobody@example.org")


# --- sessions ------------------------------------------------------------------------------


async def test_a_refresh_token_rotates_and_is_used_once(identity: IdentityUseCases) -> None:
    await staff(identity)
    first = await login(identity, "staff@example.org")
    second = await identity.sessions.refresh(refresh_token=first.refresh_token)
    assert second.refresh_token != first.refresh_token
    third = await identity.sessions.refresh(refresh_token=second.refresh_token)
    assert third.access_token


async def test_reusing_a_rotated_token_revokes_its_whole_family(identity: IdentityUseCases) -> None:
    await staff(identity)
    stolen = await login(identity, "staff@example.org")
    rotated = await identity.sessions.refresh(refresh_token=stolen.refresh_token)
    with pytest.raises(SessionInvalid):
        await identity.sessions.refresh(refresh_token=stolen.refresh_token)
    with pytest.raises(SessionInvalid):
        await identity.sessions.refresh(refresh_token=rotated.refresh_token)
    with pytest.raises(NotSignedIn):
        await identity.sessions.authenticate(rotated.access_token, request_id=None, client=None)


async def test_a_refresh_token_expires(identity: IdentityUseCases, clock: StillClock) -> None:
    await staff(identity)
    pair = await login(identity, "staff@example.org")
    clock.advance(timedelta(days=31))
    with pytest.raises(SessionInvalid):
        await identity.sessions.refresh(refresh_token=pair.refresh_token)


async def test_signing_out_ends_the_session(identity: IdentityUseCases) -> None:
    await staff(identity)
    pair = await login(identity, "staff@example.org")
    await identity.sessions.logout(refresh_token=pair.refresh_token, actor=None)
    with pytest.raises(SessionInvalid):
        await identity.sessions.refresh(refresh_token=pair.refresh_token)
    with pytest.raises(NotSignedIn):
        await identity.sessions.authenticate(pair.access_token, request_id=None, client=None)


async def test_changing_an_account_signs_it_out(
    identity: IdentityUseCases, store: MemoryStore
) -> None:
    user = await staff(identity)
    pair = await login(identity, "staff@example.org")
    changed = await identity.accounts.change_user(
        actor=ADMIN, user_id=user.id, changes=UserChanges(country_id="CO")
    )
    assert (changed.country_id, changed.version) == ("CO", user.version + 1)
    assert event_types(store)[-1] == "identity.user_changed.v1"
    with pytest.raises(SessionInvalid):
        await identity.sessions.refresh(refresh_token=pair.refresh_token)


# --- sign-up and one-time codes ------------------------------------------------------------


def signup(email: str = "ana@example.org") -> Signup:
    return Signup(email=email, password=PASSWORD, country_id="PE", given=("Ana",), family="Torres")


async def test_sign_up_activates_once_the_mailed_code_is_confirmed(
    identity: IdentityUseCases, store: MemoryStore, mailer: MemoryMailer, patients: RecordedPatients
) -> None:
    await (await identity.codes.signup(signup=signup(), client=None))()
    (pending,) = store.users.values()
    assert (pending.status, pending.role) == (UserStatus.PENDING, Role.PATIENT)
    with pytest.raises(SignInFailed):
        await login(identity, "ana@example.org")
    pair = await identity.codes.confirm_signup(
        email="ana@example.org", code=mailed_code(mailer, "ana@example.org"), client=None
    )
    assert store.users[pending.id].status is UserStatus.ACTIVE
    assert [(r.patient_id, r.family) for r in patients.registered] == [
        (pending.patient_id, "Torres")
    ]
    actor = await identity.sessions.authenticate(pair.access_token, request_id=None, client=None)
    assert (actor.role, actor.patient_id) == (Role.PATIENT, pending.patient_id)


async def test_signing_up_in_an_unknown_country_is_refused_naming_country_id(
    identity: IdentityUseCases, store: MemoryStore, mailer: MemoryMailer
) -> None:
    with pytest.raises(Invalid) as caught:
        await identity.codes.signup(signup=replace(signup(), country_id="ZZZ-nope"), client=None)
    assert [e.field for e in caught.value.errors] == ["countryId"]
    assert store.users == {}
    assert mailer.to("ana@example.org") == []


async def test_signing_up_with_a_taken_email_tells_its_owner_instead(
    identity: IdentityUseCases, store: MemoryStore, mailer: MemoryMailer
) -> None:
    await staff(identity, "ana@example.org")
    await (await identity.codes.signup(signup=signup(), client=None))()
    assert len(store.users) == 1
    assert [m.purpose for m in mailer.to("ana@example.org")] == ["identity.signup_exists"]


async def test_a_sign_in_code_is_used_once(
    identity: IdentityUseCases, mailer: MemoryMailer
) -> None:
    await staff(identity)
    await (await identity.codes.request_code(email="staff@example.org", client=None))()
    code = mailed_code(mailer, "staff@example.org")
    await identity.codes.verify_code(email="staff@example.org", code=code, client=None)
    with pytest.raises(CodeRejected):
        await identity.codes.verify_code(email="staff@example.org", code=code, client=None)


async def test_wrong_codes_close_the_challenge(
    identity: IdentityUseCases, mailer: MemoryMailer
) -> None:
    await staff(identity)
    await (await identity.codes.request_code(email="staff@example.org", client=None))()
    code = mailed_code(mailer, "staff@example.org")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(OTP_MAX_TRIES):
        with pytest.raises(CodeRejected):
            await identity.codes.verify_code(email="staff@example.org", code=wrong, client=None)
    with pytest.raises(CodeRejected):
        await identity.codes.verify_code(email="staff@example.org", code=code, client=None)


async def test_unknown_emails_get_no_code(identity: IdentityUseCases, mailer: MemoryMailer) -> None:
    await (await identity.codes.request_code(email="nobody@example.org", client=None))()
    assert mailer.sent == []
