"""The `If-None-Exist` of an Appointment's and a MedicationStatement's conditional
create: what it finds, in carehub's terms, and only ever the resource sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carehub.clinical.medications import CodeSystem, MedicationCode
from carehub.clinical.service.medications import MedicationDraft
from carehub.fhir.if_none_exist import appointment_condition, medication_condition
from carehub.fhir.schemas.medication_statement_write import Statement
from carehub.kernel.errors import Invalid
from carehub.scheduling.service import BookingRequest

START = datetime(2031, 3, 12, 14, 30, tzinfo=UTC)
BOOKING = BookingRequest(patient_id="p-1", doctor_id="dr-ana", start=START)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
STATEMENT = Statement(
    resource_id=None,
    patient_id="p-1",
    status="active",
    reason=None,
    draft=MedicationDraft(name="Metformin", code=MedicationCode(CodeSystem.RXNORM, "860975")),
)


def test_an_appointment_is_found_by_its_patient_practitioner_and_start() -> None:
    criteria = appointment_condition(
        "patient=Patient/p-1&practitioner=dr-ana&date=2031-03-12T14:30:00Z", BOOKING
    )

    assert (criteria.patient_id, criteria.doctor_id) == ("p-1", "dr-ana")
    assert (criteria.start_from, criteria.start_to) == (START, START + timedelta(seconds=1))
    assert criteria.status is None  # every status, as the search finds them


@pytest.mark.parametrize(
    "header",
    [
        "patient=p-2&practitioner=dr-ana&date=2031-03-12T14:30:00Z",  # another patient
        "patient=p-1&practitioner=dr-bo&date=2031-03-12T14:30:00Z",  # another doctor
        "patient=p-1&practitioner=dr-ana&date=2031-03-12T15:00:00Z",  # another start
        "patient=p-1&practitioner=dr-ana&date=2031-03-12",  # a day, not an instant
        "patient=p-1&practitioner=dr-ana&date=ge2031-03-12T14:30:00Z",  # a range
        "patient=p-1&practitioner=dr-ana&date=2031-03-12T14:30",  # no zone
        "patient=Group/p-1&practitioner=dr-ana&date=2031-03-12T14:30:00Z",
        "patient=p-1&date=2031-03-12T14:30:00Z",
    ],
)
def test_an_appointment_condition_is_the_appointment_sent(header: str) -> None:
    with pytest.raises(Invalid) as refused:
        appointment_condition(header, BOOKING)

    assert [e.field for e in refused.value.errors] == ["If-None-Exist"]


def test_a_medication_is_found_by_its_patient_and_code() -> None:
    condition = medication_condition(f"patient=p-1&code={RXNORM}|860975", STATEMENT)

    assert (condition.patient_id, condition.code) == (
        "p-1",
        MedicationCode(CodeSystem.RXNORM, "860975"),
    )


@pytest.mark.parametrize(
    "header",
    [
        f"patient=p-1&code={RXNORM}|860976",  # another code
        f"patient=p-2&code={RXNORM}|860975",  # another patient
        "patient=p-1&code=http://x.example|860975",  # a system carehub does not keep
        "patient=p-1&code=860975",  # no system
        f"patient=p-1&code={RXNORM}|",
    ],
)
def test_a_medication_condition_is_the_statement_sent(header: str) -> None:
    with pytest.raises(Invalid) as refused:
        medication_condition(header, STATEMENT)

    assert [e.field for e in refused.value.errors] == ["If-None-Exist"]
