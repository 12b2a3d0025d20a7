"""The request-rate budgets of a principal and of a client address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carehub.adapters.ratelimit.memory import MemoryRateLimiter
from carehub.kernel.request_rate import RequestRate, RequestsThrottled
from tests.support.clock import StillClock


def rate(per_minute: int) -> tuple[RequestRate, StillClock]:
    clock = StillClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    return RequestRate(MemoryRateLimiter(clock), per_minute=per_minute), clock


async def test_a_principal_may_make_its_budget_a_minute_then_waits_for_the_next() -> None:
    budget, clock = rate(3)
    for _ in range(3):
        await budget.charge_principal("u1")
    clock.advance(timedelta(seconds=20))
    with pytest.raises(RequestsThrottled) as refused:
        await budget.charge_principal("u1")
    assert refused.value.retry_after == 40
    assert refused.value.kind == "too-many-requests"
    await budget.charge_principal("u2")  # another principal has a budget of its own
    clock.advance(timedelta(seconds=40))
    await budget.charge_principal("u1")


async def test_an_address_may_make_ten_times_a_principals_budget() -> None:
    budget, _ = rate(3)
    for _ in range(30):
        await budget.charge_address("192.0.2.7")
    with pytest.raises(RequestsThrottled):
        await budget.charge_address("192.0.2.7")
    await budget.charge_address("2001:db8::7")
    # The two budgets are counted apart even when a principal id looks like an address.
    await budget.charge_principal("192.0.2.7")


async def test_zero_means_no_limit() -> None:
    budget, _ = rate(0)
    for _ in range(1_000):
        await budget.charge_principal("u1")
        await budget.charge_address("192.0.2.7")


def test_a_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError):
        rate(-1)
