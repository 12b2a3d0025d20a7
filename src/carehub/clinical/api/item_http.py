"""What the clinical routes share: the headers and query parameters they take, and one
item rendered with its ETag (and, once created, its Location)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Header, Query
from starlette.responses import Response

from carehub.kernel.pagination import MAX_LIMIT, Page
from carehub.web.etag import etag_for, version_from_if_match
from carehub.web.wire import json_response

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=512)]
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="The ETag you last read (required)")
]
OptionalIfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description="The ETag you last read: 412 when it is not current"),
]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def item_response(
    body: dict[str, Any], version: int, status: int = 200, location: str | None = None
) -> Response:
    headers = {"ETag": etag_for(version)}
    if location is not None:
        headers["Location"] = location
    return json_response(body, status, headers)


def optional_version(if_match: str | None) -> int | None:
    """The version an If-Match names, or None without one or with `*` (the change applies
    to the current version)."""
    if if_match is None or if_match.strip() == "*":
        return None
    return version_from_if_match(if_match)


def page_json(page: Page[T], render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    return {"items": [render(item) for item in page.items], "nextCursor": page.next_cursor}
