"""Cursor pagination. Cursors are opaque to clients; adapters decide what is inside."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from carehub.kernel.errors import FieldError, Invalid

T = TypeVar("T")

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and the cursor of the next one (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(position: dict[str, Any]) -> str:
    """Encode an adapter's position as an opaque, URL-safe cursor."""
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Decode a cursor made by `encode_cursor`; anything else is invalid input."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(position, dict):
        raise _bad_cursor()
    return position


def cursor_position(cursor: str, key: str, kind: type[T]) -> T:
    """The `key` entry of a cursor made by `encode_cursor`; invalid input unless a `kind`."""
    position = decode_cursor(cursor).get(key)
    # bool is a subclass of int, and no cursor we issue holds one.
    if not isinstance(position, kind) or isinstance(position, bool):
        raise _bad_cursor()
    return position


def check_limit(limit: int) -> int:
    """Refuse page sizes outside 1..MAX_LIMIT."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(
            f"limit must be between 1 and {MAX_LIMIT}",
            errors=[FieldError("limit", f"must be between 1 and {MAX_LIMIT}")],
        )
    return limit


def _bad_cursor() -> Invalid:
    return Invalid("cursor is not valid", errors=[FieldError("cursor", "not a cursor we issued")])
