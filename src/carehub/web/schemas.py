"""Base models for the wire format: camelCase JSON, unknown fields refused.

Schema names follow one scheme. Request bodies: `XCreate` creates an X, `XUpdate` changes
some of its fields (`XBase` holds what both accept), and any other body is a noun for what
it asks, ending in `Request` (`LoginRequest`, `RescheduleRequest`). Responses: `XRead` is
an X as the API shows it, `XPage` a cursor page of them, `XList` a whole list. A part
nested in bodies is `XWrite` in requests, `XRead` in responses, and `XWire` when it is the
same both ways (`IdentifierWire`).
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

ItemT = TypeVar("ItemT")


class WireModel(BaseModel):
    """Request and response bodies: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class CursorPage(WireModel, Generic[ItemT]):
    """One page of a list; pass `nextCursor` back as `cursor` for the next one."""

    items: list[ItemT]
    next_cursor: str | None


class FieldProblem(WireModel):
    field: str
    message: str


class Problem(WireModel):
    """An RFC 9457 problem details document."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldProblem] | None = None
