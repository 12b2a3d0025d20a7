"""One-time codes: signing in with a mailed code, and signing up, which a mailed code
confirms."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from functools import partial

from carehub.identity.accounts import add_user, save_user
from carehub.identity.commands import FollowUp, Signup, TokenPair
from carehub.identity.errors import CodeRejected, EmailTaken
from carehub.identity.events import UserActivated
from carehub.identity.hashing import HashSlot
from carehub.identity.messages import account_exists_mail, code_mail
from carehub.identity.model import (
    OTP_TTL,
    OtpChallenge,
    OtpPurpose,
    SignupProfile,
    User,
    UserStatus,
    check_password,
    normalise_email,
)
from carehub.identity.ports import IdentityUnitOfWork, PatientRecords, SelfRegistration
from carehub.identity.sessions import SessionService
from carehub.identity.throttle import SignInThrottle
from carehub.kernel.actor import Actor, Role
from carehub.kernel.clock import Clock
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.ids import new_id
from carehub.kernel.mail import Mailer, MailMessage

log = logging.getLogger("carehub.identity")


class CodeService:
    def __init__(
        self,
        uow_factory: Callable[[], IdentityUnitOfWork],
        clock: Clock,
        *,
        hashes: HashSlot,
        throttle: SignInThrottle,
        sessions: SessionService,
        mailer: Mailer,
        patients: PatientRecords,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._hashes = hashes
        self._throttle = throttle
        self._sessions = sessions
        self._mailer = mailer
        self._patients = patients

    async def request_code(self, *, email: str, client: str | None) -> FollowUp:
        """Mail a sign-in code to an active account. Unknown emails get the same answer,
        after the same work: the code is hashed either way, and storing and mailing it
        is the follow-up, run after answering."""
        email = normalise_email(email)
        await self._throttle.count("otp", email, client)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(email)
        challenge, code = await self._new_code(email, OtpPurpose.LOGIN)
        if user is None or user.status is not UserStatus.ACTIVE:
            return _nothing
        return partial(self._deliver_code, challenge, code)

    async def verify_code(self, *, email: str, code: str, client: str | None) -> TokenPair:
        user = await self._code_owner(email, code, OtpPurpose.LOGIN, client)
        if user is None or user.status is not UserStatus.ACTIVE:
            raise CodeRejected()
        return await self._sessions.start(user)

    async def signup(self, *, signup: Signup, client: str | None) -> FollowUp:
        """Start a patient account; it becomes active once the mailed code is confirmed.

        Whether the email was free or not, the answer is the same after the same work (no
        account discovery, by content or by timing): the password and a code are hashed
        either way; the follow-up mails the code, or tells the owner of a taken email.
        """
        email = normalise_email(signup.email)
        await self._throttle.count("signup", email, client)
        check_password(signup.password, email)
        # Here, not when the code is confirmed: the patient record needs the country then.
        if not await self._patients.country_exists(signup.country_id):
            raise Invalid(
                "countryId names no country",
                errors=[FieldError("countryId", "no country has this id")],
            )
        hashed = await self._hashes.hash(signup.password)
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
            # Its patient record is created when the email is confirmed, not before: the
            # link is not checked here.
            async with self._uow() as uow:
                await add_user(uow, Actor.system("signup"), user)
                await uow.commit()
        except EmailTaken:
            return partial(self._mail, account_exists_mail(email))
        return partial(self._deliver_code, challenge, code)

    async def confirm_signup(self, *, email: str, code: str, client: str | None) -> TokenPair:
        """Confirm the mailed code: the account becomes active and gets its patient record."""
        user = await self._code_owner(email, code, OtpPurpose.SIGNUP, client)
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
                email=user.email,
            )
        )
        now = self._clock.now()
        active = user.activated(now)
        await save_user(
            self._uow,
            active,
            UserActivated(aggregate_id=user.id, occurred_at=now, actor_id=user.id),
        )
        return await self._sessions.start(active)

    async def _code_owner(
        self, email: str, code: str, purpose: OtpPurpose, client: str | None
    ) -> User | None:
        """The account of `email` once `code` is proved right for it (and used up)."""
        email = normalise_email(email)
        await self._throttle.count("otp-verify", email, client)
        await self._consume_code(email, code, purpose)
        async with self._uow() as uow:
            return await uow.users.get_by_email(email)

    async def _new_code(self, email: str, purpose: OtpPurpose) -> tuple[OtpChallenge, str]:
        code = f"{secrets.randbelow(1_000_000):06d}"
        hashed = await self._hashes.hash(code)
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
        matches = matches and await self._hashes.verify(challenge.code_hash, code)
        async with self._uow() as uow:
            await uow.otps.replace(
                challenge.consumed(now) if matches else challenge.after_wrong_code()
            )
            await uow.commit()
        if not matches:
            raise CodeRejected()


async def _nothing() -> None:
    """The follow-up of a request that has nothing left to do."""
