"""The cursor of a patient record's versions listed newest first, the same on every store:
the version the next page starts below."""

from __future__ import annotations

from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.pagination import cursor_position, encode_cursor
from carehub.patients.model import MAX_VERSION


def versions_below(version: int) -> str:
    """The cursor of the page that goes on below `version`."""
    return encode_cursor({"below": version})


def below_version(cursor: str | None) -> int | None:
    """The version a cursor made by `versions_below` names (None: the first page). A
    number no version has is refused, before any store is asked about it."""
    if cursor is None:
        return None
    version = cursor_position(cursor, "below", int)
    if not 1 <= version <= MAX_VERSION:
        not_ours = FieldError("cursor", "not a cursor we issued")
        raise Invalid("cursor is not valid", errors=[not_ours])
    return version
