"""Cursor pages over in-memory lists, shared by the memory adapters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from carehub.kernel.pagination import Page, encode_cursor

T = TypeVar("T")


def page_of(found: list[T], limit: int, position: Callable[[T], dict[str, Any]]) -> Page[T]:
    """The first `limit` of `found` (already sorted and past the cursor), with a cursor
    after the last one when more remain."""
    items = found[:limit]
    more = len(found) > limit
    return Page(items, encode_cursor(position(items[-1])) if more else None)
