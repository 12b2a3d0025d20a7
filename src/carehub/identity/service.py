"""Sign-in, sessions, one-time codes, sign-up and user administration (bearer tokens
are checked by `authentication.BearerAuthentication`)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TypeVar

from carehub.identity.accounts import (
    check_links,
    check_patient_exists,
    is_active_admin,
    may_unseat,
)
from carehub.identity.authentication import BearerAuthentication
from carehub.identity.commands import (
    ExternalRoles,
    FollowUp,
    NewUser,
    SignInLimits,
    Signup,
    TokenPair,
    UserChanges,
)
from carehub.identity.errors import (
    CodeRejected,
    EmailTaken,
    LastAdmin,
    SessionInvalid,
    SignInFailed,
    Throttled,
    UserNotFound,
)
from carehub.identity.events import UserActivated, UserChanged, UserCreated
from carehub.identity.messages import account_exists_mail, code_mail
from carehub.identity.model import (
    ASSIGNABLE_ROLES,
    OTP_TTL,
    REFRESH_TTL,
    OtpChallenge,
    OtpPurpose,
    RefreshSession,
    SignupProfile,
    User,
    UserStatus,
    check_password,
    normalise_email,
    refresh_token_hash,
)
from carehub.identity.ports import (
    AccessClaims,
    AccessTokens,
    ExternalTokenVerifier,
    IdentityUnitOfWork,
    PasswordHasher,
    PatientRecords,
    SelfRegistration,
)
from carehub.kernel.actor import Actor, Role
from carehub.kernel.clock import Clock
from carehub.kernel.errors import FieldError, Forbidden, Invalid
from carehub.kernel.ids import new_id
from carehub.kernel.mail import Mailer, MailMessage
from carehub.kernel.pagination import Page, check_limit
from carehub.kernel.rate_limit import RateLimiter

_T = TypeVar("_T")
log = logging.getLogger("carehub.identity")


class IdentityService:
    def __init__(
        self,
        uow_factory: Callable[[], IdentityUnitOfWork],
        clock: Clock,
        *,
        hasher: PasswordHasher,
        tokens: AccessTokens,
        limiter: RateLimiter,
        mailer: Mailer,
        patients: PatientRecords,
        limits: SignInLimits | None = None,
        external: ExternalTokenVerifier | None = None,
        external_roles: ExternalRoles | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._hasher = hasher
        self.tokens = tokens
        self._limiter = limiter
        self._mailer = mailer
        self._patients = patients
        self._limits = limits or SignInLimits()
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
        # argon2id takes 64 MiB and more than a core per hash (4 lanes): one at a time keeps
        # memory bounded and costs no throughput on small machines.
        self._hash_slots = asyncio.Semaphore(1)

    # --- accounts ------------------------------------------------------------------------

    async def create_user(self, *, actor: Actor, new: NewUser) -> User:
        """Admins (and operators) create accounts of any role."""
        if not actor.unrestricted:
            raise Forbidden("Only admins create accounts")
        return await self._create(actor, new, UserStatus.ACTIVE)

    async def has_admin(self) -> bool:
        """Whether any admin account exists (the start-up hint to create the first one)."""
        async with self._uow() as uow:
            return await uow.users.admin_exists()

    async def ensure_admin(self, *, email: str, password: str) -> User | None:
        """Create the first admin unless an admin exists (start-up bootstrap)."""
        async with self._uow() as uow:
            if await uow.users.admin_exists():
                return None
        new = NewUser(email=email, password=password, role=Role.ADMIN)
        return await self._create(Actor.system("bootstrap"), new, UserStatus.ACTIVE)

    async def get_user(self, *, actor: Actor, user_id: str) -> User:
        if not actor.unrestricted and actor.id != user_id:
            raise UserNotFound(user_id)
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise UserNotFound(user_id)
        return user

    async def me(self, *, actor: Actor) -> User | None:
        """The caller's own account; None for an external provider's principal that
        carehub holds no account of (the caller is then described by the actor alone)."""
        async with self._uow() as uow:
            user = await uow.users.get(actor.id)
        if user is None and actor.external is None:
            raise UserNotFound(actor.id)
        return user

    async def list_users(self, *, actor: Actor, cursor: str | None, limit: int) -> Page[User]:
        check_limit(limit)
        if not actor.unrestricted:
            raise Forbidden("Only admins list accounts")
        async with self._uow() as uow:
            return await uow.users.list(cursor=cursor, limit=limit)

    async def change_user(self, *, actor: Actor, user_id: str, changes: UserChanges) -> User:
        """Admins change role, status, country and links; that signs the user out."""
        if not actor.unrestricted:
            raise Forbidden("Only admins change roles, status, country or links")
        now = self._clock.now()
        async with self._uow() as uow:
            # Locked before the read: the rule holds against a concurrent change too.
            admins = await uow.users.lock_active_admins() if may_unseat(changes) else None
            user = await uow.users.get(user_id)
            if user is None:
                raise UserNotFound(user_id)
            fields = {k: v for k, v in vars(changes).items() if v is not None}
            changed = tuple(k for k, v in fields.items() if getattr(user, k) != v)
            if not changed:
                return user
            revised = replace(user, **fields, updated_at=now, version=user.version + 1)
            check_links(revised)
            unseated = is_active_admin(user) and not is_active_admin(revised)
            if admins is not None and unseated and not admins - {user_id}:
                raise LastAdmin()
            if not await uow.users.replace(revised, expected_version=user.version):
                raise Invalid("The account changed meanwhile; try again")
            if "patient_id" in changed:
                await check_patient_exists(uow, revised)
            await uow.sessions.revoke_user(user_id, now)
            uow.record(
                UserChanged(
                    aggregate_id=user_id, occurred_at=now, actor_id=actor.id, changed_fields=changed
                )
            )
            await uow.commit()
        return revised

    # --- password sign-in and sessions -----------------------------------------------------

    async def _decoy_hash(self) -> str:
        """The hash an unknown email's password is checked against. Made by the first
        sign-in whichever account it names, so that one costs the same either way; a process
        that signs nobody in (a Lambda container answering other requests, a worker) never
        spends the 64 MiB and the time of a hash on it."""
        if self._dummy_hash is None:
            self._dummy_hash = await self._slow(self._hasher.hash, secrets.token_urlsafe(16))
        return self._dummy_hash

    async def login(self, *, email: str, password: str, client: str | None) -> TokenPair:
        email = normalise_email(email)
        await self._throttle("login", email, client)
        decoy = await self._decoy_hash()
        async with self._uow() as uow:
            user = await uow.users.get_by_email(email)
        hashed = user.password_hash if user and user.password_hash else decoy
        matches = await self._slow(self._hasher.verify, hashed, password)
        now = self._clock.now()
        if user is None or user.password_hash is None:
            raise SignInFailed()
        if user.locked(now) or user.status is not UserStatus.ACTIVE or not matches:
            if not matches and not user.locked(now):
                await self._save(user.after_failed_login(now))
            raise SignInFailed()
        if user.failed_logins or user.locked_until:
            await self._save(user.after_login(now))
        await self._limiter.reset(_key("login", "account", email))
        return await self._start_session(user)

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

    # --- one-time codes and sign-up --------------------------------------------------------

    async def request_code(self, *, email: str, client: str | None) -> FollowUp:
        """Mail a sign-in code to an active account. Unknown emails get the same answer,
        after the same work: the code is hashed either way, and storing and mailing it
        is the follow-up, run after answering."""
        email = normalise_email(email)
        await self._throttle("otp", email, client)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(email)
        challenge, code = await self._new_code(email, OtpPurpose.LOGIN)
        if user is None or user.status is not UserStatus.ACTIVE:
            return _nothing
        return partial(self._deliver_code, challenge, code)

    async def verify_code(self, *, email: str, code: str, client: str | None) -> TokenPair:
        email = normalise_email(email)
        await self._throttle("otp-verify", email, client)
        await self._consume_code(email, code, OtpPurpose.LOGIN)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(email)
        if user is None or user.status is not UserStatus.ACTIVE:
            raise CodeRejected()
        return await self._start_session(user)

    async def signup(self, *, signup: Signup, client: str | None) -> FollowUp:
        """Start a patient account; it becomes active once the mailed code is confirmed.

        Whether the email was free or not, the answer is the same after the same work (no
        account discovery, by content or by timing): the password and a code are hashed
        either way; the follow-up mails the code, or tells the owner of a taken email.
        """
        email = normalise_email(signup.email)
        await self._throttle("signup", email, client)
        check_password(signup.password, email)
        # Here, not when the code is confirmed: the patient record needs the country then.
        if not await self._patients.country_exists(signup.country_id):
            raise Invalid(
                "countryId names no country",
                errors=[FieldError("countryId", "no country has this id")],
            )
        hashed = await self._slow(self._hasher.hash, signup.password)
        challenge, code = await self._new_code(email, OtpPurpose.SIGNUP)
        now = self._clock.now()
        user = User(
            id=new_id(),
            email=email,
            role=Role.PATIENT,
            status=UserStatus.PENDING,
            country_id=signup.country_id,
            patient_id=new_id(),  # the record is created when the email is confirmed
            practitioner_id=None,
            password_hash=hashed,
            failed_logins=0,
            locked_until=None,
            created_at=now,
            updated_at=now,
            signup_profile=SignupProfile(signup.given, signup.family, signup.birth_date),
        )
        try:
            # Its patient record is created when the email is confirmed, not before.
            await self._insert(Actor.system("signup"), user, check_link=False)
        except EmailTaken:
            return partial(self._mail, account_exists_mail(email))
        return partial(self._deliver_code, challenge, code)

    async def confirm_signup(self, *, email: str, code: str, client: str | None) -> TokenPair:
        """Confirm the mailed code: the account becomes active and gets its patient record."""
        email = normalise_email(email)
        await self._throttle("otp-verify", email, client)
        await self._consume_code(email, code, OtpPurpose.SIGNUP)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(email)
        profile = user.signup_profile if user else None
        if user is None or user.status is not UserStatus.PENDING or profile is None:
            raise CodeRejected()
        await self._patients.register_self(
            SelfRegistration(
                patient_id=user.patient_id or "",
                country_id=user.country_id or "",
                given=profile.given,
                family=profile.family,
                birth_date=profile.birth_date,
                email=email,
            )
        )
        now = self._clock.now()
        active = user.activated(now)
        await self._save(
            active, UserActivated(aggregate_id=user.id, occurred_at=now, actor_id=user.id)
        )
        return await self._start_session(active)

    # --- helpers -------------------------------------------------------------------------

    async def _create(self, actor: Actor, new: NewUser, status: UserStatus) -> User:
        email = normalise_email(new.email)
        if new.role not in ASSIGNABLE_ROLES:
            raise Invalid("role is not valid", errors=[FieldError("role", "not a role")])
        hashed = None
        if new.password is not None:
            check_password(new.password, email)
            hashed = await self._slow(self._hasher.hash, new.password)
        now = self._clock.now()
        practitioner_id = new.practitioner_id
        if new.role is Role.DOCTOR and practitioner_id is None:
            practitioner_id = new_id()
        user = User(
            id=new_id(),
            email=email,
            role=new.role,
            status=status,
            country_id=new.country_id,
            patient_id=new.patient_id,
            practitioner_id=practitioner_id,
            password_hash=hashed,
            failed_logins=0,
            locked_until=None,
            created_at=now,
            updated_at=now,
        )
        check_links(user)
        await self._insert(actor, user, check_link=True)
        return user

    async def _insert(self, actor: Actor, user: User, *, check_link: bool) -> None:
        async with self._uow() as uow:
            if check_link:
                await check_patient_exists(uow, user)
            await uow.users.add(user)
            uow.record(
                UserCreated(
                    aggregate_id=user.id,
                    occurred_at=user.created_at,
                    actor_id=actor.id,
                    role=user.role.value,
                    country_id=user.country_id,
                )
            )
            await uow.commit()

    async def _save(self, user: User, event: UserActivated | None = None) -> None:
        async with self._uow() as uow:
            current = await uow.users.get(user.id)
            if current is None:
                raise UserNotFound(user.id)
            await uow.users.replace(
                replace(user, version=current.version + 1), expected_version=current.version
            )
            if event is not None:
                uow.record(event)
            await uow.commit()

    async def _start_session(self, user: User) -> TokenPair:
        async with self._uow() as uow:
            pair, session = await self._tokens_for(user, new_id())
            await uow.sessions.add(session)
            await uow.commit()
        return pair

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

    async def _slow(self, work: Callable[..., _T], *args: str) -> _T:
        async with self._hash_slots:
            return await asyncio.to_thread(work, *args)

    async def _new_code(self, email: str, purpose: OtpPurpose) -> tuple[OtpChallenge, str]:
        code = f"{secrets.randbelow(1_000_000):06d}"
        hashed = await self._slow(self._hasher.hash, code)
        challenge = OtpChallenge(
            email=email,
            purpose=purpose,
            code_hash=hashed,
            expires_at=self._clock.now() + OTP_TTL,
        )
        return challenge, code

    async def _deliver_code(self, challenge: OtpChallenge, code: str) -> None:
        async with self._uow() as uow:
            await uow.otps.put(challenge)
            await uow.commit()
        await self._mail(code_mail(challenge.email, code, challenge.purpose))

    async def _mail(self, message: MailMessage) -> None:
        # Runs after the answer went out: nobody is left to tell, so a failure is logged
        # (by kind only: the message names its recipient) and the person asks again.
        try:
            await self._mailer.send(message)
        except Exception as exc:  # any mailer failure has the same outcome
            log.warning("sign-in mail not sent: %s", type(exc).__name__)

    async def _consume_code(self, email: str, code: str, purpose: OtpPurpose) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            challenge = await uow.otps.get(email, purpose)
        if challenge is None or not challenge.open(now):
            raise CodeRejected()
        matches = code.isdigit() and len(code) == 6
        matches = matches and await self._slow(self._hasher.verify, challenge.code_hash, code)
        async with self._uow() as uow:
            await uow.otps.replace(
                challenge.consumed(now) if matches else challenge.after_wrong_code()
            )
            await uow.commit()
        if not matches:
            raise CodeRejected()

    async def _throttle(self, action: str, email: str, client: str | None) -> None:
        window = self._limits.window_seconds
        keys = [(_key(action, "account", email), self._limits.per_account)]
        if client:
            keys.append((f"{action}:address:{client}", self._limits.per_address))
        for key, limit in keys:
            wait = await self._limiter.hit(key, limit=limit, window_seconds=window)
            if wait is not None:
                raise Throttled(wait)


async def _nothing() -> None:
    """The follow-up of a request that has nothing left to do."""


def _key(action: str, scope: str, email: str) -> str:
    return f"{action}:{scope}:{hashlib.sha256(email.encode()).hexdigest()[:32]}"
