"""Generated ids are UUIDv7: RFC 9562 layout, time-ordered across milliseconds."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from carehub.kernel.ids import new_id

CANONICAL = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_new_id_is_a_canonical_version_7_uuid() -> None:
    value = new_id()
    assert CANONICAL.match(value)
    parsed = uuid.UUID(value)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_new_id_starts_with_the_current_unix_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    value = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= uuid.UUID(value).int >> 80 <= after


def test_ids_from_later_milliseconds_sort_after_earlier_ones_as_strings() -> None:
    ids = []
    for _ in range(5):
        ids.append(new_id())
        time.sleep(0.002)
    assert ids == sorted(ids)


def test_ids_made_in_the_same_millisecond_still_differ() -> None:
    ids = {new_id() for _ in range(2_000)}
    assert len(ids) == 2_000


def test_ids_made_one_after_another_sort_in_that_order() -> None:
    ids = [new_id() for _ in range(20_000)]  # many share a millisecond
    assert ids == sorted(ids)
    assert len({uuid.UUID(i).int >> 80 for i in ids}) < len(ids)


def test_a_full_counter_moves_on_to_the_next_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    from carehub.kernel import ids as module

    first = new_id()
    module._last_random = (1 << 74) - 1  # as if the counter had run to its end
    module._last_ms = uuid.UUID(first).int >> 80
    monkeypatch.setattr(module.time, "time_ns", lambda: module._last_ms * 1_000_000)
    second = new_id()
    assert second > first
    assert uuid.UUID(second).int >> 80 == (uuid.UUID(first).int >> 80) + 1
    assert CANONICAL.match(second)
