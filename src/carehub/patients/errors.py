"""Errors of the patients domain."""

from __future__ import annotations

from carehub.kernel.errors import Conflict, FieldError, Invalid, NotFound


class PatientNotFound(NotFound):
    def __init__(self, patient_id: str) -> None:
        super().__init__(f"Patient {patient_id} does not exist")
        self.patient_id = patient_id


class PatientVersionNotFound(NotFound):
    def __init__(self, patient_id: str, version: int) -> None:
        super().__init__(f"Patient {patient_id} has no version {version}")
        self.patient_id = patient_id
        self.version = version


class PatientIdTaken(Conflict):
    def __init__(self, patient_id: str | None) -> None:
        # None: a bulk insert whose store could not say which of its ids was taken.
        taken = "A patient id in this batch" if patient_id is None else f"Patient id {patient_id}"
        super().__init__(f"{taken} is already taken")


class MrnTaken(Conflict):
    def __init__(self, country_id: str) -> None:
        super().__init__(f"This MRN is already taken in country {country_id}")


class IdentifierTaken(Conflict):
    def __init__(self, system: str) -> None:
        # The value may itself be sensitive (a national id), so only the system is named.
        super().__init__(f"An identifier of system {system} with this value is already registered")


class UnknownCountry(Invalid):
    """A patient's countryId names no country record (create the country first)."""

    def __init__(self) -> None:
        super().__init__(
            "countryId names no country",
            errors=[FieldError("countryId", "no country has this id; create the country first")],
        )
