"""The OtpRepository contract (one-time sign-in codes): every adapter passes it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from carehub.identity.model import OTP_TTL, OtpChallenge, OtpPurpose
from carehub.identity.ports import IdentityUnitOfWork
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)

NewUnit = Callable[[], IdentityUnitOfWork]
SENT = datetime(2031, 3, 10, 8, 0, 0, 123456, tzinfo=UTC)


def a_challenge(
    email: str | None = None, purpose: OtpPurpose = OtpPurpose.LOGIN, code_hash: str = "hash-1"
) -> OtpChallenge:
    return OtpChallenge(
        email=email or f"{uuid.uuid4().hex[:12]}@example.org",
        purpose=purpose,
        code_hash=code_hash,
        expires_at=SENT + OTP_TTL,
    )


async def put(new_uow: NewUnit, *challenges: OtpChallenge) -> None:
    async with new_uow() as uow:
        for c in challenges:
            await uow.otps.put(c)
        await uow.commit()


async def get(new_uow: NewUnit, email: str, purpose: OtpPurpose) -> OtpChallenge | None:
    async with new_uow() as uow:
        return await uow.otps.get(email, purpose)


async def test_a_challenge_reads_back_with_every_field(new_uow: NewUnit) -> None:
    used = replace(a_challenge(), attempts=2, consumed_at=SENT + timedelta(microseconds=5))
    await put(new_uow, used)
    assert await get(new_uow, used.email, OtpPurpose.LOGIN) == used
    assert await get(new_uow, used.email, OtpPurpose.SIGNUP) is None
    assert await get(new_uow, f"x{used.email}", OtpPurpose.LOGIN) is None


async def test_a_challenge_is_kept_per_email_and_purpose(new_uow: NewUnit) -> None:
    login = a_challenge(code_hash="login")
    signup = a_challenge(login.email, OtpPurpose.SIGNUP, code_hash="signup")
    other = a_challenge(code_hash="other")
    await put(new_uow, login, signup, other)
    assert await get(new_uow, login.email, OtpPurpose.LOGIN) == login
    assert await get(new_uow, login.email, OtpPurpose.SIGNUP) == signup
    assert await get(new_uow, other.email, OtpPurpose.LOGIN) == other


async def test_put_replaces_the_earlier_challenge(new_uow: NewUnit) -> None:
    first = replace(a_challenge(code_hash="first"), attempts=4)
    await put(new_uow, first)
    second = a_challenge(first.email, code_hash="second")
    await put(new_uow, second)
    assert await get(new_uow, first.email, OtpPurpose.LOGIN) == second
    # Twice in one unit, too.
    third = a_challenge(first.email, code_hash="third")
    await put(new_uow, replace(third, code_hash="lost"), third)
    assert await get(new_uow, first.email, OtpPurpose.LOGIN) == third


async def test_replace_stores_attempts_and_consumption(new_uow: NewUnit) -> None:
    challenge = a_challenge()
    await put(new_uow, challenge)
    tried = challenge.after_wrong_code().after_wrong_code()
    async with new_uow() as uow:
        await uow.otps.replace(tried)
        await uow.commit()
    assert await get(new_uow, challenge.email, OtpPurpose.LOGIN) == tried
    done = tried.consumed(SENT + timedelta(minutes=1))
    async with new_uow() as uow:
        await uow.otps.replace(done)
        await uow.commit()
    assert await get(new_uow, challenge.email, OtpPurpose.LOGIN) == done


async def test_replace_of_a_missing_challenge_stores_nothing(new_uow: NewUnit) -> None:
    ghost = a_challenge()
    async with new_uow() as uow:
        await uow.otps.replace(ghost.after_wrong_code())
        await uow.commit()
    assert await get(new_uow, ghost.email, OtpPurpose.LOGIN) is None


async def test_leaving_without_commit_writes_nothing(new_uow: NewUnit) -> None:
    kept = a_challenge()
    await put(new_uow, kept)
    dropped = a_challenge()
    async with new_uow() as uow:
        await uow.otps.put(dropped)
        await uow.otps.put(a_challenge(kept.email, code_hash="newer"))
    assert await get(new_uow, dropped.email, OtpPurpose.LOGIN) is None
    assert await get(new_uow, kept.email, OtpPurpose.LOGIN) == kept
