"""The accepted years (1900 to 2200) hold for every date and time type, whatever the
offset, and a refusal names the field instead of overflowing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import BaseModel, ValidationError

from carehub.kernel.time_range import FIRST_YEAR, LAST_YEAR, in_range
from carehub.web.times import Day, Moment, QueryMoment


class Body(BaseModel):
    at: Moment | None = None
    raw: QueryMoment | None = None
    day: Day | None = None


def test_in_range_takes_the_first_and_last_accepted_years() -> None:
    assert in_range(date(FIRST_YEAR, 1, 1))
    assert in_range(date(LAST_YEAR, 12, 31))
    assert not in_range(date(FIRST_YEAR - 1, 12, 31))
    assert not in_range(date(LAST_YEAR + 1, 1, 1))
    assert not in_range(datetime.min)
    assert not in_range(datetime.max)


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:00:00-05:00",
        "1899-12-31T23:59:59Z",
        "2201-01-01T00:00:00Z",
    ],
)
@pytest.mark.parametrize("field", ["at", "raw"])
def test_times_outside_the_years_are_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Body.model_validate({field: value})
    (error,) = caught.value.errors()
    assert error["loc"] == (field,)
    assert error["type"] == "date_range"


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"])
def test_days_outside_the_years_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        Body.model_validate({"day": value})


def test_the_ends_of_the_years_are_accepted_and_leave_room_for_arithmetic() -> None:
    last = Body.model_validate({"at": "2200-12-31T23:59:59-14:00", "day": "1900-01-01"})
    assert last.at is not None
    # Any offset, slot or window added to an accepted time stays representable.
    assert last.at.astimezone(UTC) + timedelta(days=800) < datetime.max.replace(tzinfo=UTC)
    first = Body.model_validate({"at": "1900-01-01T00:00:00+14:00"})
    assert first.at is not None
    assert first.at.astimezone(UTC) - timedelta(days=800) > datetime.min.replace(tzinfo=UTC)
