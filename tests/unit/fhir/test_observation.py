"""Checklists as a panel Observation and one Observation per item."""

from __future__ import annotations

from typing import Any

import pytest

from carehub.clinical.checklists import Checklist
from carehub.clinical.templates import SURGICAL_SAFETY
from carehub.fhir.resources.observation import (
    CHECKLIST_SYSTEM,
    checklist_observations,
    parse_observation_id,
)
from carehub.fhir.wire import USER_SYSTEM
from carehub.kernel.ids import new_id
from tests.support.clinical_records import MINUTE, NOW, a_checklist, item_id
from tests.support.fhir_checks import validated


def observations(checklist: Checklist) -> list[dict[str, Any]]:
    return [validated(o) for o in checklist_observations(checklist)]


def test_a_checklist_is_a_panel_of_its_items_in_the_templates_order() -> None:
    panel, *items = observations(a_checklist(1, checked=1))

    assert panel["id"] == item_id(1)
    assert panel["status"] == "preliminary"
    assert panel["code"] == {
        "coding": [{"system": CHECKLIST_SYSTEM, "code": "tpl-pre-op"}],
        "text": "Checklist pre-op",
    }
    assert panel["subject"] == {"reference": "Patient/p-1"}
    assert panel["effectivePeriod"] == {"start": "2031-03-10T08:00:00.123Z"}
    assert panel["hasMember"] == [{"reference": f"Observation/{i['id']}"} for i in items]
    assert [i["id"] for i in items] == [f"{item_id(1)}.{n}" for n in (1, 2, 3)]
    assert [i["code"]["coding"][0]["code"] for i in items] == [
        "arrival.fasting",
        "arrival.consent",
        "leaving.escort",
    ]
    assert items[0]["code"]["text"] == "Fasting since midnight"
    assert {i["code"]["coding"][0]["system"] for i in items} == {f"{CHECKLIST_SYSTEM}:tpl-pre-op"}


def test_a_checked_item_is_final_true_when_and_by_whom() -> None:
    _, fasting, consent, _ = observations(a_checklist(1, checked=1))

    assert fasting["status"] == "final"
    assert fasting["valueBoolean"] is True
    assert fasting["effectiveDateTime"] == "2031-03-10T08:01:00.123Z"
    assert fasting["performer"] == [{"identifier": {"system": USER_SYSTEM, "value": "nurse-1"}}]
    assert consent["status"] == "registered"
    assert {"valueBoolean", "effectiveDateTime", "performer"}.isdisjoint(consent)


def test_an_unchecked_item_is_amended_false_with_its_reason() -> None:
    checklist = a_checklist(1, checked=1).unchecked(
        "arrival.fasting", by="dr-1", at=NOW + 5 * MINUTE, reason="Drank water at 7"
    )

    fasting = observations(checklist)[1]

    assert fasting["status"] == "amended"
    assert fasting["valueBoolean"] is False
    assert fasting["note"] == [{"text": "Drank water at 7"}]
    assert fasting["performer"][0]["identifier"]["value"] == "dr-1"


def test_a_completed_checklist_is_final_with_its_period() -> None:
    panel = observations(a_checklist(1, checked=2))[0]

    assert panel["status"] == "final"
    assert panel["effectivePeriod"] == {
        "start": "2031-03-10T08:00:00.123Z",
        "end": "2031-03-10T08:02:00.123Z",
    }
    assert panel["meta"]["versionId"] == "3"


def test_every_item_of_the_longest_shipped_template_has_its_own_fhir_id() -> None:
    checklist = Checklist.started(
        SURGICAL_SAFETY, checklist_id=new_id(), patient_id="p-1", by="dr-1", at=NOW
    )

    found = observations(checklist)

    assert len(found) == 1 + sum(len(s.items) for s in SURGICAL_SAFETY.sections)
    assert len({o["id"] for o in found}) == len(found)


def test_an_observation_id_reads_back_as_its_checklist_and_item() -> None:
    panel, *items = observations(a_checklist(1))

    assert parse_observation_id(panel["id"]) == (item_id(1), None)
    assert [parse_observation_id(i["id"]) for i in items] == [(item_id(1), n) for n in (1, 2, 3)]


@pytest.mark.parametrize("resource_id", ["", "c-1.0", "c-1.1000", "c-1.", "c.1.2", "c_1"])
def test_what_is_not_an_observation_id_is_not_read(resource_id: str) -> None:
    assert parse_observation_id(resource_id) is None
