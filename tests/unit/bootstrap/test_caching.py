"""Which events drop which cache keys, and which cache the settings choose."""

from __future__ import annotations

from pathlib import Path

import pytest

from carehub.adapters.cache.memory import MemoryCache
from carehub.adapters.cache.redis import RedisCache
from carehub.bootstrap.caching import INVALIDATED_BY, caching, keys_to_drop
from carehub.bootstrap.event_types import EVENT_TYPES
from carehub.config import Settings
from carehub.kernel.metrics import NO_METRICS
from carehub.patients.events import CareAssignmentChanged

# Events of the cached records' domains that change nothing a cached record holds: the
# care team is read from the store by the gate, never from a cached patient.
CHANGE_NOTHING_CACHED = {CareAssignmentChanged.event_type}


def test_every_event_about_a_cached_kind_of_record_drops_its_key() -> None:
    families = {"patients", "practitioners", "countries"}
    about_cached = {t for t in EVENT_TYPES if t.split(".")[0] in families}
    assert about_cached - CHANGE_NOTHING_CACHED == set(INVALIDATED_BY)


def test_keys_are_the_kind_and_the_id_only() -> None:
    events = [
        ("patients.patient_updated.v1", "p-1"),
        ("practitioners.doctor_changed.v1", "d-1"),
        ("countries.country_changed.v1", "c-1"),
        ("patients.care_assignment_changed.v1", "p-2"),
        ("scheduling.appointment_status_changed.v1", "a-1"),
    ]
    assert keys_to_drop(events) == {"patient:p-1", "doctor:d-1", "country:c-1"}


@pytest.mark.parametrize(
    ("settings", "kind"),
    [
        ({}, MemoryCache),  # embedded: SQLite, one worker
        ({"workers": 2}, None),
        ({"database_url": "postgresql://db/carehub"}, None),
        ({"database_url": "dynamodb://carehub?region=eu-west-1"}, None),
        ({"database_url": "postgresql://db/carehub", "cache": "memory"}, MemoryCache),
        ({"database_url": "postgresql://db/carehub", "cache_url": "redis://r:6379/0"}, RedisCache),
        ({"cache_url": "redis://r:6379/0", "cache": "off"}, None),
        ({"cache": "off"}, None),
    ],
)
async def test_the_settings_choose_the_cache(
    tmp_path: Path, settings: dict[str, object], kind: type | None
) -> None:
    chosen = caching(Settings(data_dir=tmp_path, **settings), NO_METRICS)  # type: ignore[arg-type]
    try:
        if kind is None:
            assert chosen.guard is None and chosen.consumer() is None
        else:
            assert chosen.guard is not None and isinstance(chosen.guard.cache, kind)
            consumer = chosen.consumer()
            assert consumer is not None and consumer.spec.name == "cache"
    finally:
        await chosen.close()
