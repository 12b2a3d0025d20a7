"""What every test of a FHIR resource carehub serves checks: a valid R4B resource of its
type (the nearest to R4 4.0.1 fhir.resources ships), with a FHIR id, JSON-ready, without
an empty value anywhere (FHIR forbids empty strings, arrays and objects), and with codes
from the value sets R4 binds as required (fhir.resources checks the shapes, not these)."""

from __future__ import annotations

import re
from typing import Any

import orjson
from fhir.resources.R4B import get_fhir_model_class

FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_DAYS = frozenset({"mon", "tue", "wed", "thu", "fri", "sat", "sun"})
# R4 4.0.1's required bindings of the elements carehub's resources use, by element path.
REQUIRED_CODES: dict[str, frozenset[str]] = {
    "Appointment.status": frozenset(
        {"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow"}
        | {"entered-in-error", "checked-in", "waitlist"}
    ),
    "Appointment.participant.status": frozenset(
        {"accepted", "declined", "tentative", "needs-action"}
    ),
    "Appointment.participant.required": frozenset({"required", "optional", "information-only"}),
    "Slot.status": frozenset(
        {"busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"}
    ),
    "Task.status": frozenset(
        {"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled"}
        | {"in-progress", "on-hold", "failed", "completed", "entered-in-error"}
    ),
    "Task.intent": frozenset(
        {"unknown", "proposal", "plan", "order", "original-order", "reflex-order"}
        | {"filler-order", "instance-order", "option"}
    ),
    "Task.priority": frozenset({"routine", "urgent", "asap", "stat"}),
    "MedicationStatement.status": frozenset(
        {"active", "completed", "entered-in-error", "intended", "stopped", "on-hold"}
        | {"unknown", "not-taken"}
    ),
    "Observation.status": frozenset(
        {"registered", "preliminary", "final", "amended", "corrected", "cancelled"}
        | {"entered-in-error", "unknown"}
    ),
    "DocumentReference.status": frozenset({"current", "superseded", "entered-in-error"}),
    "DocumentReference.docStatus": frozenset(
        {"preliminary", "final", "amended", "entered-in-error"}
    ),
    "AuditEvent.action": frozenset({"C", "R", "U", "D", "E"}),
    "AuditEvent.outcome": frozenset({"0", "4", "8", "12"}),
    "AuditEvent.agent.network.type": frozenset({"1", "2", "3", "4", "5"}),
    "Provenance.entity.role": frozenset(
        {"derivation", "revision", "quotation", "source", "removal"}
    ),
    "Location.status": frozenset({"active", "suspended", "inactive"}),
    "Location.hoursOfOperation.daysOfWeek": _DAYS,
    "PractitionerRole.availableTime.daysOfWeek": _DAYS,
    "Practitioner.telecom.system": frozenset(
        {"phone", "fax", "email", "pager", "url", "sms", "other"}
    ),
    "Practitioner.telecom.use": frozenset({"home", "work", "temp", "old", "mobile"}),
}


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource, once every check has passed."""
    assert_no_empty(resource)
    assert_required_codes(resource, resource["resourceType"])
    orjson.dumps(resource)  # plain JSON values only: no Decimal, datetime or enum member
    assert FHIR_ID.fullmatch(resource["id"]), resource["id"]
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def assert_no_empty(value: Any, path: str = "$") -> None:
    """Fails at the first None, blank string, empty list or empty object, naming its path."""
    assert value is not None, f"{path} is null"
    if isinstance(value, str):
        assert value.strip(), f"{path} is a blank string"
    elif isinstance(value, dict):
        assert value, f"{path} is an empty object"
        for key, inner in value.items():
            assert_no_empty(inner, f"{path}.{key}")
    elif isinstance(value, list):
        assert value, f"{path} is an empty array"
        for index, inner in enumerate(value):
            assert_no_empty(inner, f"{path}[{index}]")


def assert_required_codes(value: Any, path: str) -> None:
    """Fails at the first code outside the value set its element is bound to."""
    if isinstance(value, dict):
        for key, inner in value.items():
            assert_required_codes(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for inner in value:
            assert_required_codes(inner, path)
    elif path in REQUIRED_CODES:
        assert value in REQUIRED_CODES[path], f"{path} is {value!r}, not a code of its value set"


def check_resource(body: dict[str, Any]) -> dict[str, Any]:
    """A resource as `validated` checks it; a Bundle (which has no id of its own when it is
    a search's) as its model, and each resource it holds."""
    if body["resourceType"] != "Bundle":
        return validated(body)
    assert_no_empty(body)
    get_fhir_model_class("Bundle").model_validate(body)
    for entry in body.get("entry", []):
        validated(entry["resource"])
    return body
