"""A search's answer: one page of resources as a searchset Bundle with its links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from starlette.responses import Response

from carehub.fhir.api.responses import fhir_response
from carehub.fhir.bundles import search_url, searchset
from carehub.fhir.search_params import invalid
from carehub.kernel.clock import Clock
from carehub.kernel.pagination import cursor_position, encode_cursor

T = TypeVar("T")


def search_response(
    *,
    base: str,
    path: str,
    parameters: Sequence[tuple[str, str]],
    count: int,
    cursor: str | None,
    next_cursor: str | None,
    matches: Sequence[Mapping[str, Any]],
    included: Sequence[Mapping[str, Any]] = (),
    clock: Clock,
) -> Response:
    """The Bundle of one page: `self` names the page, `next` carries carehub's cursor."""
    params = [*parameters, ("_count", str(count))]
    here = [*params, *([("_cursor", cursor)] if cursor else [])]
    following = None
    if next_cursor is not None:
        following = search_url(base, path, [*params, ("_cursor", next_cursor)])
    bundle = searchset(
        base=base,
        self_url=search_url(base, path, here),
        next_url=following,
        matches=matches,
        included=included,
        clock=clock,
    )
    return fhir_response(bundle)


def offset_page(items: Sequence[T], count: int, cursor: str | None) -> tuple[list[T], str | None]:
    """One page of a list computed whole (a record's entries, a week of slots), and the
    cursor of the next."""
    offset = 0 if cursor is None else cursor_position(cursor, "o", int)
    if offset < 0:
        raise invalid("_cursor", "is not valid")
    following = encode_cursor({"o": offset + count}) if offset + count < len(items) else None
    return list(items[offset : offset + count]), following
