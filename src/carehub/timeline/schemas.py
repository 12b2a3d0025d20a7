"""Wire shapes of the timeline API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carehub.kernel.errors import FieldError, Invalid
from carehub.timeline.model import EntryType, TimelineEntry, item_path
from carehub.web.schemas import WireModel

TYPE_NAMES = ", ".join(t.value for t in EntryType)


class TimelineEntryRead(WireModel):
    """One event in the patient's timeline: ids, codes, a time and a short summary; the
    item itself is read from `link`."""

    event_id: str
    occurred_at: datetime
    type: EntryType
    action: str
    item_id: str
    actor_id: str
    status: str | None
    version: int | None
    summary: str
    link: str


class TimelinePage(WireModel):
    """A page of the timeline, newest first; pass `nextCursor` back as `cursor`."""

    items: list[TimelineEntryRead]
    next_cursor: str | None


def entry_json(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "eventId": entry.event_id,
        "occurredAt": entry.occurred_at,
        "type": entry.entry_type.value,
        "action": entry.action,
        "itemId": entry.item_id,
        "actorId": entry.actor_id,
        "status": entry.status,
        "version": entry.version,
        "summary": entry.summary,
        "link": item_path(entry),
    }


def entry_types(text: str | None) -> frozenset[EntryType] | None:
    """The `types` parameter (comma-separated names) as entry types; None when absent."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    known = {t.value: t for t in EntryType}
    if not all(name in known for name in names):
        raise Invalid(
            "types names an unknown entry type",
            errors=[FieldError("types", f"comma-separated, each one of: {TYPE_NAMES}")],
        )
    return frozenset(known[name] for name in names)
