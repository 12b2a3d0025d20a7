"""The CapabilityStatement, made from the FHIR routes the app actually serves.

Each route's method and path say which interaction it is; its declared query parameters
are the search parameters. A route added is a capability declared, and nothing is claimed
that no route serves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carehub.fhir.wire import CAREHUB_SYSTEM, FHIR_VERSION, instant

# The FHIR types of the search parameters carehub offers (SearchParamType, R4).
SEARCH_PARAM_TYPES = {
    "_id": "token",
    "identifier": "token",
    "name": "string",
    "family": "string",
    "given": "string",
    "birthdate": "date",
    "gender": "token",
    "address-city": "string",
    "phone": "token",
    "email": "token",
    "patient": "reference",
    "practitioner": "reference",
    "actor": "reference",
    "schedule": "reference",
    "subject": "reference",
    "target": "reference",
    "date": "date",
    "start": "date",
    "status": "token",
    "category": "token",
    "code": "token",
    "_lastUpdated": "date",
}
# Result parameters: how results come back, not what they match.
_MORE_INCLUDES = {"Appointment": ("Appointment:practitioner",)}
_RESULT_PARAMETERS = {"_count", "_sort", "_include", "_cursor", "_since", "_type", "_format"}
_TYPE = re.compile(r"[A-Z][A-Za-z]+")
_BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"
# The OperationDefinition of each operation served, by where it is served (R4 requires
# one); an operation carehub defines itself would be named under CAREHUB_SYSTEM.
OPERATION_DEFINITIONS = {
    ("system", "export"): f"{_BULK_DATA}/OperationDefinition/export",
    ("Patient", "export"): f"{_BULK_DATA}/OperationDefinition/patient-export",
    ("Group", "export"): f"{_BULK_DATA}/OperationDefinition/group-export",
    ("Patient", "everything"): "http://hl7.org/fhir/OperationDefinition/Patient-everything",
}
BULK_DATA_CAPABILITY = f"{_BULK_DATA}/CapabilityStatement/bulk-data"


@dataclass(frozen=True)
class ServedRoute:
    """One FHIR route: its method, its path below the base, its query parameters, and
    whether it takes `If-None-Exist` (a conditional create)."""

    method: str
    path: str
    query: tuple[str, ...]
    conditional: bool = False


def capability_statement(
    routes: Iterable[ServedRoute], *, version: str, published: datetime, base: str
) -> dict[str, Any]:
    """The server's CapabilityStatement (kind `instance`, JSON only)."""
    types: dict[str, dict[str, Any]] = {}
    system: list[str] = []
    operations: dict[str, str] = {}
    for route in routes:
        parts = route.path.strip("/").split("/")
        if parts == [""] and route.method == "POST":
            system += ["transaction", "batch"]
            continue
        if not _TYPE.fullmatch(parts[0]):
            if parts[0].startswith("$"):
                operations[parts[0][1:]] = "system"
            continue
        entry = types.setdefault(parts[0], {"type": parts[0], "interaction": []})
        interaction = _interaction(route.method, parts[1:])
        if interaction is not None:
            _add(entry["interaction"], {"code": interaction})
        if interaction == "search-type":
            _search(entry, route.query)
        if interaction == "create" and route.conditional:
            entry["conditionalCreate"] = True
        if interaction == "update":
            entry["versioning"] = "versioned-update"
        if interaction in ("vread", "history-instance"):
            entry.setdefault("versioning", "versioned")
        if parts[-1].startswith("$"):
            _add(entry.setdefault("operation", []), _operation(parts[0], parts[-1][1:]))
    resources = [_without_empty(types[name]) for name in sorted(types)]
    rest: dict[str, Any] = {"mode": "server", "resource": resources}
    if system:
        rest["interaction"] = [{"code": code} for code in dict.fromkeys(system)]
    if operations:
        rest["operation"] = [_operation("system", name) for name in sorted(operations)]
    rest["security"] = {
        "service": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                        "code": "OAuth",
                    }
                ]
            }
        ],
        "description": "A bearer token from POST /auth/login (or the configured OpenID "
        "Connect provider); the same roles and audit trail as the native API",
    }
    statement: dict[str, Any] = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(published),
        "kind": "instance",
        "software": {"name": "carehub", "version": version},
        "implementation": {"description": "carehub FHIR R4 API", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [rest],
    }
    if "export" in operations:
        statement["instantiates"] = [BULK_DATA_CAPABILITY]
    return statement


def _interaction(method: str, rest: list[str]) -> str | None:
    match (method, len(rest)):
        case ("GET", 0):
            return "search-type"
        case ("POST", 0):
            return "create"
        case ("GET", 1) if not rest[0].startswith("$"):
            return "read"
        case ("PUT", 1):
            return "update"
        case ("GET", 2) if rest[1] == "_history":
            return "history-instance"
        case ("GET", 3) if rest[1] == "_history":
            return "vread"
    return None


def _search(entry: dict[str, Any], query: Iterable[str]) -> None:
    for name in query:
        if name == "_include":
            # Every `_include` carehub offers brings the patient; an appointment's also
            # its practitioner.
            kind = entry["type"]
            entry["searchInclude"] = [f"{kind}:patient", *_MORE_INCLUDES.get(kind, ())]
        elif name not in _RESULT_PARAMETERS:
            _add(
                entry.setdefault("searchParam", []),
                {"name": name, "type": SEARCH_PARAM_TYPES.get(name, "string")},
            )


def _add(items: list[dict[str, Any]], item: dict[str, Any]) -> None:
    if item not in items:
        items.append(item)


def _operation(where: str, name: str) -> dict[str, Any]:
    definition = OPERATION_DEFINITIONS.get((where, name), f"{CAREHUB_SYSTEM}:operation:{name}")
    return {"name": name, "definition": definition}


def _without_empty(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry without an empty interaction list (a type served by an operation only,
    a Group): FHIR forbids empty arrays."""
    return {key: value for key, value in entry.items() if value != []}
