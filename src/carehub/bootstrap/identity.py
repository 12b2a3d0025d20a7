"""The identity use cases and the adapters of identity's ports onto other domains."""

from __future__ import annotations

from collections.abc import Callable

from carehub.adapters.identity.passwords import Argon2Hasher
from carehub.adapters.identity.signing_keys import SigningKeyStore
from carehub.adapters.identity.tokens import JwtAccessTokens
from carehub.bootstrap.backends import external_roles, external_verifier
from carehub.bootstrap.store import AnyUnitOfWork
from carehub.config import Settings
from carehub.identity.commands import SignInLimits
from carehub.identity.ports import SelfRegistration
from carehub.identity.service import IdentityUseCases
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.mail import Mailer
from carehub.kernel.rate_limit import RateLimiter
from carehub.kernel.secret_box import SecretBox
from carehub.patients.errors import PatientIdTaken
from carehub.patients.model import HumanName, PatientDetails
from carehub.patients.service import PatientDraft, PatientService


class SelfRegisteredPatients:
    """Identity's `PatientRecords` port served by the patients use cases: at sign-up, a
    patient registers their own record."""

    def __init__(self, patients: PatientService) -> None:
        self._patients = patients

    async def country_exists(self, country_id: str) -> bool:
        return await self._patients.country_exists(country_id=country_id)

    async def register_self(self, registration: SelfRegistration) -> None:
        details = PatientDetails(
            name=HumanName.from_parts(registration.given, registration.family),
            birth_date=registration.birth_date,
            email=registration.email,
        )
        draft = PatientDraft(
            country_id=registration.country_id,
            details=details,
            patient_id=registration.patient_id,
        )
        try:
            await self._patients.register(actor=Actor.system("signup"), draft=draft)
        except PatientIdTaken:
            return  # created by an earlier attempt that failed after this step


def identity_use_cases(
    settings: Settings,
    uow: Callable[[], AnyUnitOfWork],
    clock: Clock,
    *,
    signing_keys: SigningKeyStore,
    secrets: SecretBox,
    limiter: RateLimiter,
    mailer: Mailer,
    patients: PatientService,
) -> IdentityUseCases:
    """Sign-in, sessions and users: tokens signed with the keys of `signing_keys`, sealed by
    `secrets`."""
    return IdentityUseCases(
        uow,
        clock,
        hasher=Argon2Hasher(),
        tokens=JwtAccessTokens(
            signing_keys,
            clock,
            secrets=secrets,
            issuer=settings.token_issuer,
            ttl_seconds=settings.access_token_ttl_seconds,
        ),
        limiter=limiter,
        mailer=mailer,
        patients=SelfRegisteredPatients(patients),
        limits=SignInLimits(
            per_account=settings.auth_limit_per_account,
            per_address=settings.auth_limit_per_address,
            window_seconds=settings.auth_limit_window_seconds,
        ),
        external=external_verifier(settings),
        external_roles=external_roles(settings),
    )
