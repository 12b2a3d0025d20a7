"""The short display text of each kind of event, from codes only.

Every function reads the codes of an event's payload and answers from the vocabulary below;
a code outside it gives the event's generic text, so nothing an event could carry verbatim
(there should be nothing but ids and codes) ever reaches a summary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Summary = Callable[[Mapping[str, Any]], str]
_STATUS = re.compile(r"[a-z0-9_-]{1,32}")


def said(text: str) -> Summary:
    return lambda _payload: text


# Appointment actions (the payload's `action`) as their entry's action and summary verb.
APPOINTMENT_ACTIONS = {
    "request": ("requested", "requested"),
    "confirm": ("confirmed", "confirmed"),
    "cancel": ("cancelled", "cancelled"),
    "check-in": ("checked_in", "checked in"),
    "complete": ("completed", "completed"),
    "no-show": ("no_show", "marked as a no-show"),
    "reschedule": ("rescheduled", "rescheduled"),
    "reject": ("rejected", "rejected"),
}
_CATEGORIES = {
    "preop": "Pre-op",
    "lab": "Lab",
    "radiology": "Radiology",
    "intraop": "Intra-op",
    "ot_notes": "OT notes",
    "postop": "Post-op",
    "discharge": "Discharge",
}
# What a file of each attachable kind is attached to (documents' `kind`).
_ATTACHED_TO = {"note": "a note", "med": "a medication", "task": "a task"}
_ATTACHMENT_DONE = {
    "uploaded": "File attached to the {}",
    "detached": "File detached from the {}",
    "deleted": "File of the {} deleted",
}
_ITEM_NAMES = {"note": "note", "med": "medication", "task": "task"}
_TASK_STATUSES = {"in_progress": "Task started", "done": "Task done", "cancelled": "Task cancelled"}


def appointment(payload: Mapping[str, Any]) -> str:
    known = APPOINTMENT_ACTIONS.get(code_of(payload, "action"))
    if known is None:
        return "Appointment changed"
    if known[0] == "requested" and code_of(payload, "status") == "confirmed":
        return "Appointment booked"
    return f"Appointment {known[1]}"


def file_event(done: str) -> Summary:
    """`Lab document uploaded`, `File attached to a note deleted`, ... (stamp events
    name no kind: their files are documents)."""

    def summary(payload: Mapping[str, Any]) -> str:
        attached_to = _ATTACHED_TO.get(code_of(payload, "kind"))
        if attached_to is not None:
            return f"File attached to {attached_to} {done}"
        category = _CATEGORIES.get(code_of(payload, "category"))
        return f"{category} document {done}" if category else f"Document {done}"

    return summary


CARE_ACTIONS = {
    "assigned": ("care_assigned", "Doctor added to the care team"),
    "released": ("care_released", "Doctor released from the care team"),
}


def attachment(payload: Mapping[str, Any], done: str) -> str:
    """`File attached to the note`, `File detached from the task`, ...: a file event told
    in the timeline of the item it is attached to (`kind` one of note, med, task)."""
    return _ATTACHMENT_DONE[done].format(_ITEM_NAMES[code_of(payload, "kind")])


def care_change(payload: Mapping[str, Any]) -> str:
    known = CARE_ACTIONS.get(code_of(payload, "action"))
    return "Care team changed" if known is None else known[1]


def task_created(payload: Mapping[str, Any]) -> str:
    return "Task created and assigned" if code_of(payload, "assignedTo") else "Task created"


def task_changed(payload: Mapping[str, Any]) -> str:
    if code_of(payload, "assignedTo"):
        return "Task assigned"
    return _TASK_STATUSES.get(code_of(payload, "status"), "Task updated")


def checklist(text: str) -> Summary:
    def summary(payload: Mapping[str, Any]) -> str:
        remaining = payload.get("remaining")
        if not isinstance(remaining, int) or isinstance(remaining, bool) or remaining < 0:
            return text
        return f"{text} ({remaining} required left)"

    return summary


def text_of(payload: Mapping[str, Any], name: str) -> str | None:
    value = payload.get(name)
    return value if isinstance(value, str) and value else None


def code_of(payload: Mapping[str, Any], name: str) -> str:
    return text_of(payload, name) or ""


def number_of(payload: Mapping[str, Any], name: str) -> int | None:
    value = payload.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def status_of(payload: Mapping[str, Any]) -> str | None:
    """The payload's `status` when it is a status code (lower case, short), else None."""
    value = text_of(payload, "status")
    return value if value is not None and _STATUS.fullmatch(value) else None
