"""Clinical items answer If-None-Match like patients do: 304 without a body while current,
audited once per request like a 200, on every store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from tests.api.clinical_world import (
    body_of,
    new_checklist,
    new_medication,
    new_note,
    new_task,
    people_fixture,  # noqa: F401 (the fixture `people`)
    world_fixture,  # noqa: F401 (the fixture `world`)
)
from tests.support.world import People

CREATE: dict[str, Callable[[httpx.Client, str], httpx.Response]] = {
    "notes": new_note,
    "medications": new_medication,
    "tasks": new_task,
    "checklists": new_checklist,
}


@pytest.mark.parametrize("kind", sorted(CREATE))
def test_an_unchanged_clinical_item_is_304_and_audited(world: People, kind: str) -> None:
    doctor, p1 = world["doctor_a"].client, world.ids["P1"]
    created = CREATE[kind](doctor, p1)
    path = f"/patients/{p1}/{kind}/{body_of(created, 201)['id']}"
    etag = created.headers["ETag"]

    full = doctor.get(path)
    unchanged = doctor.get(path, headers={"If-None-Match": f'"v0", W/{etag}'})
    assert full.status_code == 200 and full.headers["ETag"] == etag
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert unchanged.headers["ETag"] == etag

    trail = world["admin"].client.get("/audit", params={"patientId": p1, "limit": 200})
    per_request = Counter(e["requestId"] for e in body_of(trail)["items"])
    for response in (full, unchanged):
        assert per_request[response.headers["X-Request-ID"]] == 1, response.status_code
