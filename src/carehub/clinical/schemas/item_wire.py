"""The wire form every kind of item shares: ids, reasons, times, and an item's history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import StringConstraints

from carehub.clinical.model import MAX_REASON, RecordItem, Revision
from carehub.web.schemas import WireModel
from carehub.web.text import MANY_LINES, ONE_LINE

T = TypeVar("T", bound=RecordItem)

Id = Annotated[str, StringConstraints(min_length=1, max_length=64), ONE_LINE]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REASON),
    MANY_LINES,
]


class ReasonRequest(WireModel):
    """A change the rules ask a reason for (stopping a medication, unchecking an item)."""

    reason: Reason


class RevisionFields(WireModel):
    """One version of an item: who made it, when, what it was and why."""

    version: int
    at: datetime
    actor_id: str
    action: str
    reason: str | None


def utc(moment: datetime) -> datetime:
    """A time from a body (with its offset), as the record keeps it: in UTC."""
    return moment.astimezone(UTC)


def history_json(
    revisions: Sequence[Revision[T]], key: str, render: Callable[[T], dict[str, Any]]
) -> dict[str, Any]:
    """An item's history, oldest first: each version under `key` with its change."""
    return {
        "items": [
            {
                "version": r.version,
                "at": r.at,
                "actorId": r.actor_id,
                "action": r.action,
                "reason": r.reason,
                key: render(r.item),
            }
            for r in revisions
        ]
    }
