"""What the `If-None-Exist` of a conditional create of an Appointment or a
MedicationStatement names, in carehub's terms.

The condition must describe the resource sent (its patient, and its practitioner and
start, or its code): a create that matched nothing then makes the very resource the
condition finds, so sending the request again (a retry after a lost answer) finds it
instead of creating a second. A condition about something else would not.
"""

from __future__ import annotations

from dataclasses import dataclass

from carehub.clinical.medications import MedicationCode
from carehub.fhir.resources.medication import MEDICATION_CODE_SYSTEMS
from carehub.fhir.schemas.medication_statement_write import Statement
from carehub.fhir.search_params import PREFIXES, DateRange, reference_id
from carehub.fhir.writes import bad_condition, conditions_of_if_none_exist
from carehub.kernel.errors import Invalid
from carehub.scheduling.ports import AppointmentFilter
from carehub.scheduling.service import BookingRequest

APPOINTMENT_CONDITION = ("patient", "practitioner", "date")
MEDICATION_CONDITION = ("patient", "code")
_SYSTEMS = ", ".join(sorted(MEDICATION_CODE_SYSTEMS))


@dataclass(frozen=True)
class MedicationCondition:
    """An active medication of the patient with the code."""

    patient_id: str
    code: MedicationCode


def appointment_condition(header: str, booking: BookingRequest) -> AppointmentFilter:
    """`patient=<id>&practitioner=<id>&date=<instant>`: the appointment of that patient
    with that practitioner starting then, as the appointment search finds it."""
    found = conditions_of_if_none_exist(header, APPOINTMENT_CONDITION)
    patient_id = _id_of("patient", found["patient"], "Patient")
    doctor_id = _id_of("practitioner", found["practitioner"], "Practitioner")
    date = found["date"]
    if date[:2] in PREFIXES or "T" not in date:
        raise bad_condition("If-None-Exist's date must be an instant (2030-01-31T09:00:00Z)")
    try:
        moment = DateRange.parse("date", date)  # an instant, to its precision: [start, end)
    except Invalid as exc:
        raise bad_condition(f"If-None-Exist's {exc.detail}") from None
    since, until = moment.start, moment.end
    if (patient_id, doctor_id) != (booking.patient_id, booking.doctor_id) or not (
        since <= booking.start < until
    ):
        raise bad_condition(
            "If-None-Exist must name the patient, the practitioner and the start of the "
            "Appointment sent"
        )
    return AppointmentFilter(
        patient_id=patient_id, doctor_id=doctor_id, start_from=since, start_to=until
    )


def medication_condition(header: str, statement: Statement) -> MedicationCondition:
    """`patient=<id>&code=<system>|<code>`: an active medication of that patient with
    that code (what the native API warns of as `duplicate-active-code`)."""
    found = conditions_of_if_none_exist(header, MEDICATION_CONDITION)
    patient_id = _id_of("patient", found["patient"], "Patient")
    system, bar, code = found["code"].partition("|")
    known = MEDICATION_CODE_SYSTEMS.get(system)
    if not bar or known is None or not code or len(code) > 64:
        raise bad_condition(f"If-None-Exist's code must be <system>|<code>, of {_SYSTEMS}")
    wanted = MedicationCode(known, code)
    if patient_id != statement.patient_id or wanted != statement.draft.code:
        raise bad_condition(
            "If-None-Exist must name the subject and the code of the MedicationStatement sent"
        )
    return MedicationCondition(patient_id, wanted)


def _id_of(name: str, value: str, resource_type: str) -> str:
    try:
        return reference_id(name, value, resource_type)
    except Invalid as exc:
        raise bad_condition(f"If-None-Exist's {exc.detail}") from None
