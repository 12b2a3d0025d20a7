"""A search's answer: one page of resources as a searchset Bundle with its links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import Response

from carehub.fhir.api.responses import fhir_response
from carehub.fhir.bundles import search_url, searchset
from carehub.kernel.clock import Clock


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
