"""The identity use cases, made together: accounts (`accounts.AccountService`), sign-in
sessions (`sessions.SessionService`) and one-time codes with sign-up
(`one_time_codes.CodeService`). They share one hash slot, so that a process runs one
argon2id hash at a time whichever of them asks, and one sign-in throttle."""

from __future__ import annotations

from collections.abc import Callable

from carehub.identity.accounts import AccountService
from carehub.identity.commands import ExternalRoles, SignInLimits
from carehub.identity.hashing import HashSlot
from carehub.identity.one_time_codes import CodeService
from carehub.identity.ports import (
    AccessTokens,
    ExternalTokenVerifier,
    IdentityUnitOfWork,
    PasswordHasher,
    PatientRecords,
)
from carehub.identity.sessions import SessionService
from carehub.identity.throttle import SignInThrottle
from carehub.kernel.clock import Clock
from carehub.kernel.mail import Mailer
from carehub.kernel.rate_limit import RateLimiter


class IdentityUseCases:
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
        hashes = HashSlot(hasher)
        throttle = SignInThrottle(limiter, limits or SignInLimits())
        self.accounts = AccountService(uow_factory, clock, hashes=hashes)
        self.sessions = SessionService(
            uow_factory,
            clock,
            hashes=hashes,
            tokens=tokens,
            throttle=throttle,
            external=external,
            external_roles=external_roles,
        )
        self.codes = CodeService(
            uow_factory,
            clock,
            hashes=hashes,
            throttle=throttle,
            sessions=self.sessions,
            mailer=mailer,
            patients=patients,
        )
