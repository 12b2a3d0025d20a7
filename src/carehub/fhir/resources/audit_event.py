"""An audit trail entry as an AuditEvent: who (an id and a role, never a name) did what
to which resource of whose record, when, from where, and how it ended.

An entry holds ids and codes only, and so does its AuditEvent: no health data. Its id is
`{shard}.{seq}`, its place in the trail. The action is carehub's own code (`note.amend`)
as the subtype, and its verb gives FHIR's C/R/U/D/E. A refused access is a serious
failure (8), so that a search by outcome finds refusals apart from requests that failed
on a missing record or invalid values (4).
"""

from __future__ import annotations

import re
from typing import Any

from carehub.audit.model import AuditEntry
from carehub.fhir.wire import CAREHUB_SYSTEM, instant, reference, user_reference
from carehub.kernel.audit import Outcome

ACTION_SYSTEM = f"{CAREHUB_SYSTEM}:audit-action"
ROLE_SYSTEM = f"{CAREHUB_SYSTEM}:role"
RESOURCE_TYPE_SYSTEM = f"{CAREHUB_SYSTEM}:resource-type"
_TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"
_REST = {"system": f"{_TERMINOLOGY}/audit-event-type", "code": "rest"}
_OUTCOME = {Outcome.ALLOWED: "0", Outcome.NOT_FOUND: "4", Outcome.FAILED: "4", Outcome.DENIED: "8"}
_READS = frozenset({"read", "list", "search", "history", "download", "access_log"})
_CREATES = frozenset({"create", "import", "join", "presign_upload", "start", "upload", "write"})
_DELETES = frozenset({"deactivate", "delete", "detach", "leave", "stamp_remove"})
_EXECUTES = frozenset({"rebuild", "reindex"})
# carehub's resource types (the audit trail's) that are served as FHIR resources.
FHIR_TYPES = {
    "patient": "Patient",
    "doctor": "Practitioner",
    "country": "Organization",
    "appointment": "Appointment",
    "note": "DocumentReference",
    "file": "DocumentReference",
    "medication": "MedicationStatement",
    "task": "Task",
    "checklist": "Observation",
}
_ID = re.compile(r"(?P<shard>\d{1,9})\.(?P<seq>\d{1,18})")


def audit_event_id(shard: int, seq: int) -> str:
    """The id of the AuditEvent of the `seq`-th entry of `shard`."""
    return f"{shard}.{seq}"


def parse_audit_event_id(resource_id: str) -> tuple[int, int] | None:
    """The shard and seq an AuditEvent id names; None if it is not one."""
    match = _ID.fullmatch(resource_id)
    return None if match is None else (int(match["shard"]), int(match["seq"]))


def audit_event_resource(entry: AuditEntry) -> dict[str, Any]:
    """The entry as an AuditEvent."""
    agent: dict[str, Any] = {
        "who": user_reference(entry.actor_id),
        "role": [{"coding": [{"system": ROLE_SYSTEM, "code": entry.actor_role}]}],
        "requestor": True,
    }
    if entry.client_address:
        agent["network"] = {"address": entry.client_address, "type": "2"}  # an IP address
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": audit_event_id(entry.shard, entry.seq),
        "type": _REST,
        "subtype": [{"system": ACTION_SYSTEM, "code": entry.action}],
        "action": _action(entry.action),
        "recorded": instant(entry.at),
        "outcome": _OUTCOME[Outcome(entry.outcome)],
        "outcomeDesc": entry.outcome,
        "agent": [agent],
        "source": {
            "observer": {"display": "carehub"},
            "type": [{"system": f"{_TERMINOLOGY}/security-source-type", "code": "4"}],
        },
    }
    entities = _entities(entry)
    if entities:
        resource["entity"] = entities
    return resource


def _action(action: str) -> str:
    verb = action.rpartition(".")[2]
    if verb in _READS:
        return "R"
    if verb in _CREATES:
        return "C"
    if verb in _DELETES:
        return "D"
    return "E" if verb in _EXECUTES else "U"


def _entities(entry: AuditEntry) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = []
    patient_ids = list(entry.patient_ids)
    if entry.resource_type == "patient" and entry.resource_id:
        # The record itself is its patient's entity (a refused or missing one is named
        # only here).
        patient_ids.insert(0, entry.resource_id)
    elif entry.resource_id:
        entities.append(
            {
                "what": _what(entry.resource_type, entry.resource_id),
                "type": {"system": RESOURCE_TYPE_SYSTEM, "code": entry.resource_type},
                "role": {"system": f"{_TERMINOLOGY}/object-role", "code": "4"},  # domain resource
            }
        )
    for patient_id in dict.fromkeys(patient_ids):
        entities.append(
            {
                "what": reference("Patient", patient_id),
                "type": {"system": f"{_TERMINOLOGY}/audit-entity-type", "code": "1"},  # person
                "role": {"system": f"{_TERMINOLOGY}/object-role", "code": "1"},  # patient
            }
        )
    return entities


def _what(resource_type: str, resource_id: str) -> dict[str, Any]:
    fhir_type = FHIR_TYPES.get(resource_type)
    if fhir_type:
        return reference(fhir_type, resource_id)
    # Not a resource FHIR serves (a hold, a waitlist entry): named by carehub's identifier.
    return {"identifier": {"system": f"{CAREHUB_SYSTEM}:{resource_type}", "value": resource_id}}
