"""A MedicationStatement taken in: what it says in carehub's terms, the elements carehub
cannot keep refused by name, and what a PUT of the whole resource asks of the stored
medication (its status only)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from carehub.clinical.medications import CodeSystem, MedicationCode, MedicationStatus, Route
from carehub.fhir.medication_update import Transition, requested_update
from carehub.fhir.resources.medication import medication_statement_resource
from carehub.fhir.schemas.medication_statement_write import MedicationStatementWrite
from carehub.kernel.errors import Invalid
from tests.support.clinical_records import a_medication

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def taken(resource: dict[str, Any]) -> MedicationStatementWrite:
    return MedicationStatementWrite.model_validate(resource)


def test_a_statement_read_back_says_what_the_medication_is() -> None:
    medication = a_medication(1)
    statement = taken(medication_statement_resource(medication)).statement()
    draft = statement.draft
    assert (statement.resource_id, statement.patient_id, statement.status) == (
        medication.id,
        "p-1",
        "active",
    )
    assert (draft.name, draft.code) == (
        "Amoxicillin 500 mg capsules",
        MedicationCode(CodeSystem.RXNORM, "308182"),
    )
    assert (draft.dose, draft.dose_unit, draft.route, draft.frequency) == (
        Decimal("1.5"),
        "capsule",
        Route.ORAL,
        "every 8 hours",
    )
    assert (draft.start, draft.end, draft.prescriber_id) == (
        date(2031, 3, 10),
        date(2031, 3, 17),
        "dr-1",
    )


def test_a_name_is_the_concepts_text_or_its_codings_display() -> None:
    resource = medication_statement_resource(a_medication(1))
    concept = {"coding": [{"system": RXNORM, "code": "308182", "display": "Amoxicillin"}]}
    statement = taken({**resource, "medicationCodeableConcept": concept}).statement()
    assert statement.draft.name == "Amoxicillin"


@pytest.mark.parametrize(
    ("change", "element"),
    [
        ({"medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "1"}]}}, "text"),
        (
            {
                "medicationCodeableConcept": {
                    "coding": [{"system": RXNORM, "code": "1"}, {"system": RXNORM, "code": "2"}],
                    "text": "Two",
                }
            },
            "medicationCodeableConcept.coding",
        ),
        ({"effectiveDateTime": "2031-03-10"}, "effectiveDateTime"),
        ({"subject": {"reference": "Group/g-1"}}, "subject"),
        ({"dosage": [{"text": "as needed"}]}, "dosage[0].text"),
    ],
)
def test_what_carehub_cannot_keep_is_refused_naming_the_element(
    change: dict[str, Any], element: str
) -> None:
    resource = {**medication_statement_resource(a_medication(1)), **change}
    with pytest.raises(Invalid) as refused:
        taken(resource).statement()
    assert refused.value.errors[0].field.endswith(element)


@pytest.mark.parametrize(
    "change",
    [
        {"note": [{"text": "with food"}]},
        {"status": "on-hold"},
        {"dosage": [{"route": {"text": "orally"}}]},
        {"dosage": [{"doseAndRate": [{"doseQuantity": {"value": True, "unit": "mg"}}]}]},
        {"effectivePeriod": {"start": "2031"}},
        {"subject": {"reference": "http://elsewhere.example/Patient/1"}},
        {"medicationCodeableConcept": {"text": "x\u0000y"}},
    ],
)
def test_loose_or_unknown_elements_are_refused_as_they_are_read(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        taken({**medication_statement_resource(a_medication(1)), **change})


def test_a_put_of_what_was_read_asks_for_nothing() -> None:
    medication = a_medication(1)
    statement = taken(medication_statement_resource(medication)).statement()
    assert requested_update(medication, statement).transition is Transition.NONE


def test_a_put_stops_with_a_reason_or_completes() -> None:
    medication = a_medication(1)
    resource = medication_statement_resource(medication)
    stop = taken({**resource, "status": "stopped", "statusReason": [{"text": "Rash"}]})
    update = requested_update(medication, stop.statement())
    assert (update.transition, update.reason) == (Transition.STOP, "Rash")
    complete = taken({**resource, "status": "completed"}).statement()
    assert requested_update(medication, complete).transition is Transition.COMPLETE


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"status": "stopped"}, ["statusReason"]),
        ({"status": "completed", "statusReason": [{"text": "Done"}]}, ["statusReason"]),
        ({"id": "another"}, ["id"]),
        ({"informationSource": {"reference": "Practitioner/dr-2"}}, ["informationSource"]),
        (
            {"effectivePeriod": {"start": "2031-03-11"}},
            ["effectivePeriod.start", "effectivePeriod.end"],
        ),
        (
            {"dosage": [{"route": {"text": "oral"}}]},
            [
                "dosage[0].doseAndRate[0].doseQuantity",
                "dosage[0].timing",
            ],
        ),
    ],
)
def test_a_put_that_changes_anything_else_is_refused_naming_it(
    change: dict[str, Any], fields: list[str]
) -> None:
    medication = a_medication(1)
    statement = taken({**medication_statement_resource(medication), **change}).statement()
    with pytest.raises(Invalid) as refused:
        requested_update(medication, statement)
    assert [e.field for e in refused.value.errors] == fields


def test_a_medication_that_ended_stays_ended() -> None:
    stopped = a_medication(1, status=MedicationStatus.STOPPED, stop_reason="Rash", version=2)
    resource = medication_statement_resource(stopped)
    assert requested_update(stopped, taken(resource).statement()).transition is Transition.NONE
    again = taken({**resource, "statusReason": [{"text": "Itch"}]}).statement()
    with pytest.raises(Invalid):
        requested_update(stopped, again)
    active = {k: v for k, v in resource.items() if k != "statusReason"}
    with pytest.raises(Invalid) as refused:
        requested_update(stopped, taken({**active, "status": "active"}).statement())
    assert refused.value.errors[0].field == "status"
