"""The timeline consumer: each event about one patient is journaled and becomes an entry."""

from __future__ import annotations

from carehub.kernel.events import EventMessage
from carehub.timeline.model import project
from carehub.timeline.ports import TimelineUnitOfWork


async def record_event(message: EventMessage, uow: TimelineUnitOfWork) -> None:
    """Journal the event (what a rebuild replays) and add its entry, in the consumer's unit
    (the runner applies it once; both writes also ignore a repeat)."""
    entry = project(message)
    if entry is None:
        return
    await uow.timeline.journal(message, entry.patient_id)
    await uow.timeline.add(entry)
