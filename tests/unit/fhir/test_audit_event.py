"""Audit trail entries as AuditEvent: ids and codes, never a name or health data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carehub.audit.model import AuditEntry, chain, empty_chain
from carehub.fhir.resources.audit_event import (
    ACTION_SYSTEM,
    ROLE_SYSTEM,
    audit_event_id,
    audit_event_resource,
    parse_audit_event_id,
)
from carehub.fhir.wire import USER_SYSTEM
from carehub.kernel.actor import Actor, Role
from carehub.kernel.audit import AccessRecord, Outcome
from tests.support.fhir_checks import validated

AT = datetime(2031, 3, 10, 8, 0, 0, 123456, tzinfo=UTC)
DOCTOR = Actor("user-doc", Role.DOCTOR, request_id="req-1", client_address="203.0.113.7")


def an_entry(
    action: str = "note.amend",
    resource_type: str = "note",
    resource_id: str | None = "note-1",
    patient_ids: tuple[str, ...] = ("p-1",),
    outcome: Outcome = Outcome.ALLOWED,
    actor: Actor = DOCTOR,
) -> AuditEntry:
    record = AccessRecord(
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        patient_ids=patient_ids,
        outcome=outcome,
        at=AT,
    )
    return chain([record], empty_chain(3))[0]


def test_an_entry_is_a_rest_event_of_who_did_what_to_whose_record() -> None:
    resource = validated(audit_event_resource(an_entry()))

    assert resource["id"] == "3.1"
    assert resource["type"]["code"] == "rest"
    assert resource["subtype"] == [{"system": ACTION_SYSTEM, "code": "note.amend"}]
    assert resource["action"] == "U"
    assert resource["recorded"] == "2031-03-10T08:00:00.123Z"
    assert (resource["outcome"], resource["outcomeDesc"]) == ("0", "allowed")
    assert resource["agent"] == [
        {
            "who": {"identifier": {"system": USER_SYSTEM, "value": "user-doc"}},
            "role": [{"coding": [{"system": ROLE_SYSTEM, "code": "doctor"}]}],
            "requestor": True,
            "network": {"address": "203.0.113.7", "type": "2"},
        }
    ]
    assert [e["what"] for e in resource["entity"]] == [
        {"reference": "DocumentReference/note-1"},
        {"reference": "Patient/p-1"},
    ]
    assert resource["entity"][1]["role"]["code"] == "1"


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        (Outcome.ALLOWED, "0"),
        (Outcome.NOT_FOUND, "4"),
        (Outcome.FAILED, "4"),
        (Outcome.DENIED, "8"),
    ],
)
def test_every_outcome_has_its_code(outcome: Outcome, code: str) -> None:
    resource = validated(audit_event_resource(an_entry(outcome=outcome)))

    assert (resource["outcome"], resource["outcomeDesc"]) == (code, outcome.value)


@pytest.mark.parametrize(
    ("action", "code"),
    [
        ("patient.read", "R"),
        ("medication.list", "R"),
        ("note.history", "R"),
        ("file.download", "R"),
        ("patient.create", "C"),
        ("file.presign_upload", "C"),
        ("waitlist.join", "C"),
        ("patient.update", "U"),
        ("medication.stop", "U"),
        ("checklist.check", "U"),
        ("file.delete", "D"),
        ("patient.deactivate", "D"),
        ("patient.reindex", "E"),
    ],
)
def test_the_actions_verb_gives_fhirs_action(action: str, code: str) -> None:
    resource = validated(audit_event_resource(an_entry(action=action)))

    assert resource["action"] == code


def test_a_patient_record_is_its_patients_entity_once_even_when_refused() -> None:
    read = validated(audit_event_resource(an_entry("patient.read", "patient", "p-1")))
    refused = validated(
        audit_event_resource(an_entry("patient.read", "patient", "p-9", (), outcome=Outcome.DENIED))
    )

    assert [e["what"] for e in read["entity"]] == [{"reference": "Patient/p-1"}]
    assert [e["what"] for e in refused["entity"]] == [{"reference": "Patient/p-9"}]


def test_a_list_names_every_patient_it_returned() -> None:
    listed = an_entry("patient.list", "patient", None, ("p-1", "p-2", "p-3"))

    resource = validated(audit_event_resource(listed))

    assert [e["what"]["reference"] for e in resource["entity"]] == [
        "Patient/p-1",
        "Patient/p-2",
        "Patient/p-3",
    ]


def test_a_resource_fhir_does_not_serve_is_named_by_carehubs_identifier() -> None:
    resource = validated(audit_event_resource(an_entry("hold.create", "hold", "hold-1")))

    assert resource["entity"][0]["what"] == {
        "identifier": {"system": "urn:carehub:hold", "value": "hold-1"}
    }


def test_a_background_process_without_an_address_has_no_network_and_no_entity() -> None:
    entry = an_entry("timeline.rebuild", "timeline", None, (), actor=Actor.system("timeline"))

    resource = validated(audit_event_resource(entry))

    assert "network" not in resource["agent"][0]
    assert resource["agent"][0]["role"][0]["coding"][0]["code"] == "system"
    assert "entity" not in resource


def test_an_event_holds_only_the_entrys_ids_and_codes() -> None:
    entry = an_entry()

    resource = audit_event_resource(entry)

    own = {entry.actor_id, entry.actor_role, entry.action, entry.resource_type, entry.outcome}
    own |= {"203.0.113.7", "DocumentReference/note-1", "Patient/p-1"}
    # FHIR's own parts: the type, the id, the time, code systems and one-character codes.
    fixed = {"AuditEvent", "3.1", "rest", "carehub", "2031-03-10T08:00:00.123Z"}
    others = {
        text
        for text in _strings(resource)
        if text not in own | fixed and len(text) > 1 and not text.startswith(("http", "urn:"))
    }
    assert others == set()


def test_an_event_id_reads_back() -> None:
    assert parse_audit_event_id(audit_event_id(12, 345678)) == (12, 345678)
    assert parse_audit_event_id("12") is None
    assert parse_audit_event_id("a.1") is None


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for inner in value.values() for s in _strings(inner)]
    if isinstance(value, list):
        return [s for inner in value for s in _strings(inner)]
    return []
