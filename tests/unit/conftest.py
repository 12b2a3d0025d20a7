"""What the use-case tests share: a still clock at `NOW` and an empty in-memory store (a
domain's own conftest seeds the store it needs)."""

from __future__ import annotations

import pytest

from carehub.adapters.memory.store import MemoryStore
from tests.support.clock import StillClock
from tests.support.memory_world import NOW


@pytest.fixture
def clock() -> StillClock:
    return StillClock(NOW)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()
