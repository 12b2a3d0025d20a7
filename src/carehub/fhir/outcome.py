"""OperationOutcome: how every FHIR error is told, from carehub's error kinds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carehub.kernel.errors import FieldError

# carehub's error kinds (and the HTTP layer's own) as FHIR issue types (IssueType, R4).
ISSUE_TYPE_BY_KIND = {
    "not-found": "not-found",
    "conflict": "conflict",
    "forbidden": "forbidden",
    "invalid": "invalid",
    "malformed-json": "structure",
    "precondition-failed": "conflict",
    "precondition-required": "required",
    "too-many-requests": "throttled",
    "payload-too-large": "too-long",
    "bad-request": "invalid",
    "unauthenticated": "login",
    "method-not-allowed": "not-supported",
    "unsupported-media-type": "not-supported",
    "internal": "exception",
}


def operation_outcome(
    kind: str, detail: str, errors: Sequence[FieldError] = (), *, severity: str = "error"
) -> dict[str, Any]:
    """One issue per field error (its path as the expression), else one for the whole."""
    code = ISSUE_TYPE_BY_KIND.get(kind, "processing")
    if errors:
        issues = [
            {
                "severity": severity,
                "code": code,
                "diagnostics": f"{e.field}: {e.message}",
                "expression": [e.field],
            }
            for e in errors
        ]
    else:
        issues = [{"severity": severity, "code": code, "diagnostics": detail}]
    return {"resourceType": "OperationOutcome", "issue": issues}


def information(messages: Sequence[str]) -> list[dict[str, Any]]:
    """Issues of severity `information` (what a create accepted but does not keep)."""
    return [
        {"severity": "information", "code": "informational", "diagnostics": m} for m in messages
    ]
