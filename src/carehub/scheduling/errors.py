"""Errors of the scheduling domain."""

from __future__ import annotations

from carehub.kernel.errors import Conflict, NotFound, PreconditionFailed


class SlotTaken(Conflict):
    """The store refused a claim: the doctor (or the patient) is busy at that time."""

    def __init__(self, party: str) -> None:
        who = "The doctor" if party == "doctor" else "The patient"
        super().__init__(f"{who} already has an appointment or hold at that time")
        self.party = party


class AppointmentNotFound(NotFound):
    def __init__(self, appointment_id: str) -> None:
        super().__init__(f"Appointment {appointment_id} does not exist")
        self.appointment_id = appointment_id


class AppointmentChanged(PreconditionFailed):
    """The appointment is no longer the version the caller read (412: read it again)."""

    def __init__(self, appointment_id: str) -> None:
        super().__init__(f"Appointment {appointment_id} was changed by someone else; read it again")
        self.appointment_id = appointment_id


class HoldNotFound(NotFound):
    def __init__(self, hold_id: str) -> None:
        super().__init__(f"Hold {hold_id} does not exist")
        self.hold_id = hold_id


class AppointmentIdTaken(Conflict):
    def __init__(self, appointment_id: str) -> None:
        super().__init__(f"Appointment id {appointment_id} is already taken")


class WaitlistEntryNotFound(NotFound):
    def __init__(self, entry_id: str) -> None:
        super().__init__(f"Waitlist entry {entry_id} does not exist")
