"""The identity use cases over the memory adapters, with cheap hashing and a recording mailer."""

from __future__ import annotations

import pytest

from carehub.adapters.identity.passwords import Argon2Hasher
from carehub.adapters.memory.identity import OpaqueAccessTokens
from carehub.adapters.memory.mail import MemoryMailer
from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.adapters.ratelimit.memory import MemoryRateLimiter
from carehub.identity.commands import SignInLimits
from carehub.identity.ports import SelfRegistration
from carehub.identity.service import IdentityUseCases
from tests.support.clock import StillClock

LIMITS = SignInLimits(per_account=20, per_address=100, window_seconds=900)


class RecordedPatients:
    """The patients domain as identity sees it at sign-up: it records what it was asked."""

    def __init__(self) -> None:
        self.registered: list[SelfRegistration] = []
        self.countries = {"PE"}

    async def country_exists(self, country_id: str) -> bool:
        return country_id in self.countries

    async def register_self(self, registration: SelfRegistration) -> None:
        self.registered.append(registration)


@pytest.fixture
def mailer() -> MemoryMailer:
    return MemoryMailer()


@pytest.fixture
def patients() -> RecordedPatients:
    return RecordedPatients()


@pytest.fixture
def identity(
    store: MemoryStore, clock: StillClock, mailer: MemoryMailer, patients: RecordedPatients
) -> IdentityUseCases:
    return IdentityUseCases(
        lambda: MemoryUnitOfWork(store, clock),
        clock,
        # argon2id at its cheapest: the same code path in microseconds, not 64 MiB a hash.
        hasher=Argon2Hasher(time_cost=1, memory_kib=32),
        tokens=OpaqueAccessTokens(clock),
        limiter=MemoryRateLimiter(clock),
        mailer=mailer,
        patients=patients,
        limits=LIMITS,
    )
