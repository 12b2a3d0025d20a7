"""Errors of the practitioners domain."""

from __future__ import annotations

from carehub.kernel.errors import Conflict, NotFound


class DoctorNotFound(NotFound):
    def __init__(self, doctor_id: str) -> None:
        super().__init__(f"Doctor {doctor_id} does not exist")
        self.doctor_id = doctor_id


class DoctorIdTaken(Conflict):
    def __init__(self, doctor_id: str) -> None:
        super().__init__(f"Doctor id {doctor_id} is already taken")
