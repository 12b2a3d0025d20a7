"""The clock port hands out aware UTC datetimes only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from carehub.kernel.clock import FixedClock, SystemClock


def test_system_clock_tells_aware_utc_time() -> None:
    now = SystemClock().now()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_fixed_clock_converts_other_offsets_to_utc() -> None:
    lima = timezone(timedelta(hours=-5))
    clock = FixedClock(datetime(2024, 3, 1, 7, 0, tzinfo=lima))
    assert clock.now() == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    assert clock.now().tzinfo == UTC


def test_fixed_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        FixedClock(datetime(2024, 3, 1, 12, 0))


def test_fixed_clock_stands_still_until_set() -> None:
    clock = FixedClock(datetime(2024, 3, 1, tzinfo=UTC))
    assert clock.now() == clock.now()
    clock.set(datetime(2024, 3, 2, tzinfo=UTC))
    assert clock.now() == datetime(2024, 3, 2, tzinfo=UTC)
