"""Search parameter values of the clinical record's searches: references in both forms,
token lists, the patient a search is about, and dates that are whole days."""

from __future__ import annotations

from datetime import date

import pytest

from carehub.fhir.search_params import (
    DateRange,
    codes,
    date_ranges,
    reference_id,
    searched_patient,
)
from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Invalid

DOCTOR = Actor(id="u-dr", role=Role.DOCTOR, practitioner_id="dr-1")
PATIENT = Actor(id="u-ana", role=Role.PATIENT, patient_id="ana")


@pytest.mark.parametrize("value", ["Patient/p-1", "p-1"])
def test_a_reference_is_taken_with_or_without_its_type(value: str) -> None:
    assert reference_id("patient", value, "Patient") == "p-1"


@pytest.mark.parametrize("value", ["Practitioner/p-1", "Patient/", "p 1", "Patient/a/b", ""])
def test_a_reference_to_something_else_is_refused(value: str) -> None:
    with pytest.raises(Invalid) as refused:
        reference_id("patient", value, "Patient")
    assert refused.value.errors[0].field == "patient"


def test_a_patient_searches_their_own_record_unless_they_name_one() -> None:
    assert searched_patient(PATIENT, None) == "ana"
    assert searched_patient(PATIENT, "Patient/luis") == "luis"
    assert searched_patient(DOCTOR, "luis") == "luis"
    with pytest.raises(Invalid):
        searched_patient(DOCTOR, None)


def test_token_lists_are_either_of_their_known_codes() -> None:
    known = {"requested": "open", "completed": "done"}
    assert codes("status", "completed,requested,completed", known) == ["done", "open"]
    with pytest.raises(Invalid):
        codes("status", "requested,open", known)


@pytest.mark.parametrize(
    ("value", "day", "admitted"),
    [
        ("2031-01", date(2031, 1, 31), True),
        ("2031-01", date(2031, 2, 1), False),
        ("eq2031-01-05T10:00:00Z", date(2031, 1, 5), False),
        ("ge2031-01-05T10:00:00Z", date(2031, 1, 5), True),
        ("gt2031-01-05", date(2031, 1, 5), False),
        ("gt2031-01-05", date(2031, 1, 6), True),
        ("lt2031-01-05", date(2031, 1, 5), False),
        ("le2031-01-05", date(2031, 1, 5), True),
        ("ne2031-01", date(2031, 1, 5), False),
    ],
)
def test_a_whole_day_meets_a_date_search_by_fhirs_rules(
    value: str, day: date, admitted: bool
) -> None:
    assert DateRange.parse("date", value).admits_day(day) is admitted


def test_a_date_is_sent_at_most_twice() -> None:
    assert len(date_ranges("date", ["ge2030", "lt2031"])) == 2
    assert date_ranges("date", None) == []
    for values in (["2030", "2031", "2032"], ["2" * 41]):
        with pytest.raises(Invalid):
            date_ranges("date", values)
