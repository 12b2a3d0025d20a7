"""Appointments, holds and the waitlist: their states and the rules that move them."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from carehub.kernel.errors import Conflict, FieldError, Invalid

APPOINTMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_MINUTES = 8 * 60


class Status(StrEnum):
    REQUESTED = "requested"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    REJECTED = "rejected"


class Action(StrEnum):
    """What a caller asks of an appointment (each a route under /appointments/{id}/)."""

    CONFIRM = "confirm"
    CANCEL = "cancel"
    CHECK_IN = "check-in"
    COMPLETE = "complete"
    NO_SHOW = "no-show"
    RESCHEDULE = "reschedule"
    REJECT = "reject"  # the country's processing only


# Which status each action leads to, and from which statuses it may be taken.
MOVES: dict[Action, tuple[Status, frozenset[Status]]] = {
    Action.CONFIRM: (Status.CONFIRMED, frozenset({Status.REQUESTED, Status.PENDING})),
    Action.REJECT: (Status.REJECTED, frozenset({Status.REQUESTED, Status.PENDING})),
    Action.CANCEL: (
        Status.CANCELLED,
        frozenset({Status.REQUESTED, Status.PENDING, Status.CONFIRMED}),
    ),
    Action.CHECK_IN: (Status.CHECKED_IN, frozenset({Status.CONFIRMED})),
    Action.COMPLETE: (Status.COMPLETED, frozenset({Status.CHECKED_IN})),
    Action.NO_SHOW: (Status.NO_SHOW, frozenset({Status.CONFIRMED})),
    Action.RESCHEDULE: (Status.CONFIRMED, frozenset({Status.PENDING, Status.CONFIRMED})),
}
# States whose appointment holds its time (a claim); the others have given it back.
RELEASED = frozenset({Status.CANCELLED, Status.REJECTED})


@dataclass(frozen=True)
class Transition:
    """One step of an appointment's history: who moved it, when, from where to where, why."""

    at: datetime
    actor_id: str
    action: str
    from_status: Status | None
    to_status: Status
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Appointment:
    """A patient's time with a doctor: [start, end) in UTC, shown in the doctor's zone."""

    id: str
    country_id: str
    doctor_id: str
    patient_id: str
    start: datetime
    end: datetime
    time_zone: str
    status: Status
    mode: str
    claim_id: str | None
    history: tuple[Transition, ...]
    version: int = 1
    created_at: datetime
    updated_at: datetime

    @property
    def status_reason(self) -> str | None:
        return self.history[-1].reason if self.history else None

    def allowed_actions(self) -> list[Action]:
        """The actions this appointment's status allows (the 409 of an illegal one lists them)."""
        return [
            a
            for a, (_, sources) in MOVES.items()
            if self.status in sources and a is not Action.REJECT
        ]

    def moved(
        self, action: Action, *, actor_id: str, at: datetime, reason: str | None = None
    ) -> Appointment:
        """The appointment after `action`; Conflict naming the allowed actions otherwise."""
        target, sources = MOVES[action]
        if self.status not in sources:
            allowed = ", ".join(a.value for a in self.allowed_actions()) or "none"
            raise IllegalTransition(
                f"A {self.status.value} appointment cannot {action.value}; allowed: {allowed}",
                allowed=[a.value for a in self.allowed_actions()],
            )
        step = Transition(at, actor_id, action.value, self.status, target, reason)
        return replace(
            self,
            status=target,
            history=(*self.history, step),
            version=self.version + 1,
            updated_at=at,
        )

    def rescheduled(
        self,
        *,
        start: datetime,
        end: datetime,
        claim_id: str,
        actor_id: str,
        at: datetime,
        reason: str | None,
    ) -> Appointment:
        moved = self.moved(Action.RESCHEDULE, actor_id=actor_id, at=at, reason=reason)
        return replace(moved, start=start, end=end, claim_id=claim_id)


class IllegalTransition(Conflict):
    """The appointment's status does not allow the action; `allowed` lists what does."""

    def __init__(self, detail: str, *, allowed: list[str]) -> None:
        super().__init__(detail)
        self.allowed = allowed


def check_times(start: datetime, end: datetime, field: str = "start") -> None:
    """Whole minutes, forward, at most a working day long."""
    errors: list[FieldError] = []
    if start.second or start.microsecond or end.second or end.microsecond:
        errors.append(FieldError(field, "times are whole minutes"))
    minutes = (end - start).total_seconds() / 60
    if minutes <= 0:
        errors.append(FieldError("end", "must be after the start"))
    elif minutes > MAX_MINUTES:
        errors.append(FieldError("end", f"an appointment lasts at most {MAX_MINUTES} minutes"))
    if errors:
        raise Invalid("The appointment's times are not valid", errors=errors)


class HoldStatus(StrEnum):
    ACTIVE = "active"
    BOOKED = "booked"
    EXPIRED = "expired"
    RELEASED = "released"


@dataclass(frozen=True, kw_only=True)
class Hold:
    """A slot kept for a patient for a few minutes; it becomes a booking or expires."""

    id: str
    country_id: str
    doctor_id: str
    patient_id: str
    start: datetime
    end: datetime
    expires_at: datetime
    status: HoldStatus
    waitlist_entry_id: str | None
    created_by: str
    created_at: datetime

    def live(self, now: datetime) -> bool:
        return self.status is HoldStatus.ACTIVE and now < self.expires_at


class WaitStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    CANCELLED = "cancelled"


@dataclass(frozen=True, kw_only=True)
class WaitlistEntry:
    """A patient waiting for a freed slot with one doctor, or any doctor of a specialty in a
    country, between `earliest` and `latest`. The first to wait gets the first offer."""

    id: str
    patient_id: str
    country_id: str
    doctor_id: str | None
    specialty_key: str | None
    earliest: datetime
    latest: datetime
    status: WaitStatus
    offered_hold_id: str | None
    created_at: datetime
    updated_at: datetime

    def fits(self, start: datetime, end: datetime) -> bool:
        return self.earliest <= start and end <= self.latest
