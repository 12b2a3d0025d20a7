"""Search pages over lists the record pages on its own terms: one list after another (a
patient's notes, then their files), or items that are each several resources (a
checklist is a panel and its items; a note's history is one Provenance per version).

The page's cursor says which list, which of its store pages (that store page's own
cursor) and how many resources of it were already shown. A page is filled from as many
store pages as it takes, up to a bound: when a filter leaves few of each, a page may hold
fewer than `_count` resources while `next` goes on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from carehub.fhir.search_params import invalid
from carehub.kernel.errors import Invalid
from carehub.kernel.pagination import decode_cursor, encode_cursor

R = TypeVar("R")
# Store pages one search page reads at most (a date filter may leave few of each).
MAX_READS = 8
# The resources of one store page, and the cursor of the next store page (None: last).
StorePage = tuple[list[R], str | None]


@dataclass(frozen=True)
class Source(Generic[R]):
    """One list a search reads: `read(cursor, limit)` is one of its store pages, as the
    resources it makes. `limit` must not change from page to page (a cursor counts
    resources into the store page it names)."""

    read: Callable[[str | None, int], Awaitable[StorePage[R]]]
    limit: int


@dataclass(frozen=True)
class _Position:
    source: int
    cursor: str | None
    shown: int

    def encode(self) -> str:
        return encode_cursor({"s": self.source, "c": self.cursor, "n": self.shown})

    @classmethod
    def decode(cls, value: str | None, sources: int) -> _Position:
        if value is None:
            return cls(0, None, 0)
        try:
            position = decode_cursor(value)
        except Invalid:
            raise invalid("_cursor", "is not a cursor this search gave") from None
        source, cursor, shown = position.get("s"), position.get("c"), position.get("n")
        if not (
            type(source) is int
            and 0 <= source < sources
            and (cursor is None or isinstance(cursor, str))
            and type(shown) is int
            and shown >= 0
        ):
            raise invalid("_cursor", "is not a cursor this search gave")
        return cls(source, cursor, shown)


async def chained_page(
    sources: Sequence[Source[R]], cursor: str | None, count: int
) -> tuple[list[R], str | None]:
    """Up to `count` resources from where `cursor` stands (read from as many store pages
    as it takes, at most MAX_READS), and the next page's cursor."""
    at: _Position | None = _Position.decode(cursor, len(sources))
    shown: list[R] = []
    for _ in range(MAX_READS):
        if at is None or len(shown) >= count:
            break
        source = sources[at.source]
        resources, following = await source.read(at.cursor, source.limit)
        taken = resources[at.shown : at.shown + count - len(shown)]
        shown += taken
        at = _after(at, at.shown + len(taken), len(resources), following, len(sources))
    return shown, None if at is None else at.encode()


def _after(
    at: _Position, end: int, read: int, following: str | None, sources: int
) -> _Position | None:
    """Where the next resource is, once those of `at`'s store page up to `end` are shown."""
    if end < read:
        return _Position(at.source, at.cursor, end)
    if following is not None:
        return _Position(at.source, following, 0)
    if at.source + 1 < sources:
        return _Position(at.source + 1, None, 0)
    return None
