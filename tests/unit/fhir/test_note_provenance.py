"""Clinical notes as DocumentReference, and their changes as Provenance."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from carehub.clinical.notes import NoteContent
from carehub.fhir.resources.note import note_resource
from carehub.fhir.resources.provenance import (
    parse_provenance_id,
    provenance_id,
    provenance_resource,
)
from carehub.fhir.wire import USER_SYSTEM
from carehub.kernel.ids import new_id
from tests.support.clinical_records import HOUR, NOW, a_note, changed, item_id, written
from tests.support.fhir_checks import validated

OPERATIONS = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"


def text_of(resource: dict[str, Any]) -> str:
    attachment = resource["content"][0]["attachment"]
    return base64.b64decode(attachment["data"]).decode()


def test_a_note_is_a_clinical_note_holding_its_text() -> None:
    resource = validated(note_resource(a_note(1)))

    assert (resource["status"], resource["docStatus"]) == ("current", "final")
    assert resource["type"]["coding"][0]["code"] == "11506-3"
    assert resource["category"][0]["coding"][0]["code"] == "clinical-note"
    assert resource["author"] == [{"identifier": {"system": USER_SYSTEM, "value": "dr-1"}}]
    assert resource["content"][0]["attachment"]["contentType"] == "text/plain; charset=utf-8"
    assert text_of(resource) == "Seen in clinic, note 1. Ñandú, 東京 ✓"
    assert "context" not in resource


def test_a_soap_note_is_headed_paragraphs_and_names_its_appointment() -> None:
    resource = validated(note_resource(a_note(1, soap=True)))

    assert text_of(resource) == (
        "Subjective:\nCough for 3 days\n\nObjective:\nT 38.1 °C\n\n"
        "Assessment:\nBronchitis\n\nPlan:\nRest, fluids"
    )
    assert resource["context"] == {"related": [{"reference": "Appointment/appt-1"}]}


def test_an_amended_note_is_amended_and_one_in_error_is_entered_in_error() -> None:
    amended = a_note(1).amended(NoteContent(text="Corrected"), NOW + HOUR)

    assert validated(note_resource(amended))["docStatus"] == "amended"
    in_error = validated(note_resource(amended.entered_in_error("Wrong patient", NOW + 2 * HOUR)))
    assert (in_error["status"], in_error["docStatus"]) == ("entered-in-error", "final")


def test_an_amendment_is_a_provenance_of_the_version_it_made() -> None:
    note = a_note(1).amended(NoteContent(text="Corrected dose"), NOW + HOUR)
    revision = changed(note, by="dr-2", action="amended", reason="Dose was mistyped")

    resource = validated(provenance_resource(note, revision))

    assert resource["id"] == f"{item_id(1)}.2"
    assert resource["target"] == [{"reference": f"DocumentReference/{item_id(1)}/_history/2"}]
    assert resource["recorded"] == "2031-03-10T09:00:00.123Z"
    assert resource["activity"] == {"coding": [{"system": OPERATIONS, "code": "UPDATE"}]}
    assert resource["agent"][0]["who"] == {"identifier": {"system": USER_SYSTEM, "value": "dr-2"}}
    assert resource["agent"][0]["type"]["coding"][0]["code"] == "author"
    assert resource["reason"] == [{"text": "Dose was mistyped"}]
    assert resource["entity"] == [
        {
            "role": "revision",
            "what": {"reference": f"DocumentReference/{item_id(1)}/_history/1"},
        }
    ]


def test_the_first_version_is_a_creation_of_nothing_before() -> None:
    note = a_note(1)

    resource = validated(provenance_resource(note, written(note)))

    assert resource["activity"]["coding"][0]["code"] == "CREATE"
    assert "entity" not in resource and "reason" not in resource


def test_a_note_in_error_is_nullified() -> None:
    note = a_note(1).entered_in_error("Wrong patient", NOW + HOUR)

    resource = validated(
        provenance_resource(
            note, changed(note, by="dr-1", action="entered_in_error", reason="Wrong patient")
        )
    )

    assert resource["activity"]["coding"][0]["code"] == "NULLIFY"


def test_a_provenance_id_reads_back() -> None:
    note_id = new_id()

    assert parse_provenance_id(provenance_id(note_id, 12)) == (note_id, 12)


@pytest.mark.parametrize("resource_id", ["n-1", "n-1.0", "n-1.x", "n_1.2", ".2", "n-1.2."])
def test_what_is_not_a_provenance_id_is_not_read(resource_id: str) -> None:
    assert parse_provenance_id(resource_id) is None
