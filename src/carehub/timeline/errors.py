"""Errors of the timeline."""

from __future__ import annotations

from carehub.kernel.errors import NotFound


class PatientNotVisible(NotFound):
    """No such patient, or one the actor may not see: the two look alike."""

    def __init__(self, patient_id: str) -> None:
        super().__init__(f"Patient {patient_id} does not exist")
