"""Dates and times in query strings: RFC 3339 and nothing else."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from carehub.web.query import QueryDate, QueryDateTime

DATE = TypeAdapter(QueryDate)
DATE_TIME = TypeAdapter(QueryDateTime)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-31T09:00:00Z", datetime(2030, 1, 31, 9, tzinfo=UTC)),
        ("2030-01-31t09:00:00z", datetime(2030, 1, 31, 9, tzinfo=UTC)),
        ("2030-01-31T09:00:00.250+00:00", datetime(2030, 1, 31, 9, 0, 0, 250000, tzinfo=UTC)),
        (
            "2030-01-31T09:00:00-05:00",
            datetime(2030, 1, 31, 9, tzinfo=timezone(timedelta(hours=-5))),
        ),
    ],
)
def test_rfc_3339_date_times_are_taken(text: str, expected: datetime) -> None:
    assert DATE_TIME.validate_python(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "0.5",
        "1700000000",
        0,
        1.5,
        "2030-01-31",
        "2030-01-31T09:00:00",
        "2030-01-31T09:00Z",
        "2030-01-31 09:00:00 05:00",
        "20300131T090000Z",
        "2030-01-31T09:00:00+0500",
        "2030-02-30T09:00:00Z",
    ],
)
def test_anything_else_is_not_a_date_time(text: object) -> None:
    with pytest.raises(ValidationError):
        DATE_TIME.validate_python(text)


def test_rfc_3339_dates_are_taken() -> None:
    assert DATE.validate_python("1980-03-14") == date(1980, 3, 14)


@pytest.mark.parametrize(
    "text", ["0", 0, "19800314", "1980-03-14T00:00:00", "14/03/1980", "1980-02-30", "1980-3-4"]
)
def test_anything_else_is_not_a_date(text: object) -> None:
    with pytest.raises(ValidationError):
        DATE.validate_python(text)
