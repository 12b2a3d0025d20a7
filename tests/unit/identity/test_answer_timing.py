"""Requests that must not reveal whether an account exists do the same work on both paths
before answering; the mail is the follow-up, sent after the answer."""

from __future__ import annotations

from carehub.adapters.identity.passwords import Argon2Hasher
from carehub.adapters.memory.identity import OpaqueAccessTokens
from carehub.adapters.memory.mail import MemoryMailer
from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.adapters.ratelimit.memory import MemoryRateLimiter
from carehub.identity.commands import NewUser, Signup
from carehub.identity.service import IdentityUseCases
from carehub.kernel.actor import Role
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN
from tests.unit.identity.conftest import LIMITS, RecordedPatients

PASSWORD = "correct horse battery"


class CountingHasher(Argon2Hasher):
    """argon2id at its cheapest, counting the hashes made."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_kib=32)
        self.hashes = 0

    def hash(self, secret: str) -> str:
        self.hashes += 1
        return super().hash(secret)


def counted_use_cases(
    store: MemoryStore, clock: StillClock, mailer: MemoryMailer
) -> tuple[IdentityUseCases, CountingHasher]:
    hasher = CountingHasher()
    identity = IdentityUseCases(
        lambda: MemoryUnitOfWork(store, clock),
        clock,
        hasher=hasher,
        tokens=OpaqueAccessTokens(clock),
        limiter=MemoryRateLimiter(clock),
        mailer=mailer,
        patients=RecordedPatients(),
        limits=LIMITS,
    )
    return identity, hasher


def signup(email: str) -> Signup:
    return Signup(email=email, password=PASSWORD, country_id="PE", given=("Ana",), family="Torres")


async def test_a_code_request_hashes_alike_and_mails_only_afterwards(
    store: MemoryStore, clock: StillClock, mailer: MemoryMailer
) -> None:
    identity, hasher = counted_use_cases(store, clock, mailer)
    new = NewUser(email="staff@example.org", role=Role.STAFF, password=PASSWORD)
    await identity.accounts.create_user(actor=ADMIN, new=new)
    costs = []
    for email in ("staff@example.org", "nobody@example.org"):
        before, mailed = hasher.hashes, len(mailer.sent)
        follow_up = await identity.codes.request_code(email=email, client=None)
        costs.append(hasher.hashes - before)
        assert len(mailer.sent) == mailed  # nothing goes out before the answer
        await follow_up()
    assert costs == [1, 1]
    assert [m.to for m in mailer.sent] == ["staff@example.org"]


async def test_a_signup_hashes_alike_whether_the_email_is_free_or_taken(
    store: MemoryStore, clock: StillClock, mailer: MemoryMailer
) -> None:
    identity, hasher = counted_use_cases(store, clock, mailer)
    costs = []
    for email in ("ana@example.org", "ana@example.org"):  # free, then taken
        before = hasher.hashes
        follow_up = await identity.codes.signup(signup=signup(email), client=None)
        costs.append(hasher.hashes - before)
        await follow_up()
    assert costs == [2, 2]
    assert [m.purpose for m in mailer.sent] == ["identity.otp.signup", "identity.signup_exists"]
