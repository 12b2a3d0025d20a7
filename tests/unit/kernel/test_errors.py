"""Error kinds carry what the HTTP layer needs: a kind, a title, a detail, field errors."""

from __future__ import annotations

import pytest

from carehub.kernel.errors import (
    CarehubError,
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    TooMany,
    Unauthenticated,
)


@pytest.mark.parametrize(
    ("error_type", "kind"),
    [
        (NotFound, "not-found"),
        (Conflict, "conflict"),
        (Forbidden, "forbidden"),
        (Invalid, "invalid"),
        (PreconditionFailed, "precondition-failed"),
        (PreconditionRequired, "precondition-required"),
        (TooMany, "too-many-requests"),
        (Unauthenticated, "unauthenticated"),
    ],
)
def test_every_error_kind_is_a_carehub_error_with_its_own_kind(
    error_type: type[CarehubError], kind: str
) -> None:
    error = error_type("something happened")
    assert isinstance(error, CarehubError)
    assert error.kind == kind
    assert error.title
    assert error.detail == str(error) == "something happened"


def test_kinds_are_distinct() -> None:
    kinds = [
        t.kind
        for t in (
            NotFound,
            Conflict,
            Forbidden,
            Invalid,
            PreconditionFailed,
            PreconditionRequired,
            TooMany,
            Unauthenticated,
        )
    ]
    assert len(set(kinds)) == len(kinds)


def test_field_errors_travel_with_the_error() -> None:
    errors = [FieldError("name", "must not be empty"), FieldError("birthDate", "in the future")]
    error = Invalid("The patient record is not valid", errors=errors)
    assert error.errors == errors


def test_an_error_without_field_errors_has_an_empty_list_not_a_shared_one() -> None:
    first, second = Invalid("a"), Invalid("b")
    first.errors.append(FieldError("x", "y"))
    assert second.errors == []


def test_too_many_says_when_to_retry() -> None:
    assert TooMany("slow down", retry_after=30).retry_after == 30
    assert TooMany("slow down").retry_after == 1
