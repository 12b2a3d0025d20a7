"""The checks every resource test relies on catch what FHIR forbids."""

from __future__ import annotations

import pytest

from tests.support.fhir_checks import assert_no_empty, validated

SLOT = {
    "resourceType": "Slot",
    "id": "dr-1.203103101200",
    "schedule": {"reference": "Schedule/dr-1"},
    "status": "free",
    "start": "2031-03-10T12:00:00.000Z",
    "end": "2031-03-10T12:30:00.000Z",
}


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"a": {"b": [1, ""]}}, r"\$\.a\.b\[1\] is a blank string"),
        ({"a": [{"b": []}]}, r"\$\.a\[0\]\.b is an empty array"),
        ({"a": {"b": {}}}, r"\$\.a\.b is an empty object"),
        ({"a": None}, r"\$\.a is null"),
        ({"a": "  "}, r"\$\.a is a blank string"),
    ],
)
def test_an_empty_value_anywhere_is_found_by_its_path(value: object, path: str) -> None:
    with pytest.raises(AssertionError, match=path):
        assert_no_empty(value)


def test_false_and_zero_are_values() -> None:
    assert_no_empty({"active": False, "size": 0})


def test_a_resource_is_checked_against_its_own_type() -> None:
    validated(SLOT)
    with pytest.raises(ValueError, match="start"):
        validated({**SLOT, "start": "tomorrow"})
    with pytest.raises(AssertionError, match=r"Slot\.status is 'open'"):
        validated({**SLOT, "status": "open"})
    with pytest.raises(ValueError, match="Extra inputs"):
        validated({**SLOT, "doctor": "dr-1"})
    with pytest.raises(AssertionError):
        validated({**SLOT, "id": "dr_1"})
