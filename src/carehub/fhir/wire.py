"""The pieces every FHIR resource is written with: references, instants, meta."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
# carehub's own identifier systems, so a resource served can be found again by identifier.
CAREHUB_SYSTEM = "urn:carehub"
MRN_SYSTEM = f"{CAREHUB_SYSTEM}:mrn"
COUNTRY_SYSTEM = f"{CAREHUB_SYSTEM}:country"
DOCTOR_SYSTEM = f"{CAREHUB_SYSTEM}:doctor"
# carehub's users (who wrote, checked, was assigned, acted): not every user is a
# practitioner, so they are named by identifier, never by a reference to a resource.
USER_SYSTEM = f"{CAREHUB_SYSTEM}:user"
# The US National Provider Identifier: an imported practitioner's license.
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


def reference(resource_type: str, resource_id: str, display: str | None = None) -> dict[str, Any]:
    """A literal relative reference (`Patient/123`), with a display when one is safe to show."""
    ref: dict[str, Any] = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        ref["display"] = display
    return ref


def user_reference(user_id: str) -> dict[str, Any]:
    """A logical reference to a carehub user, by id only (never a name)."""
    return {"identifier": {"system": USER_SYSTEM, "value": user_id}}


def instant(moment: datetime) -> str:
    """An `instant`: UTC, with seconds and milliseconds, `Z` for the zone."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def fhir_date(day: date) -> str:
    """A `date` (YYYY-MM-DD)."""
    return day.isoformat()


def meta(version: int | None, updated: datetime) -> dict[str, Any]:
    """`meta.versionId` (carehub's version, the ETag) and `meta.lastUpdated`."""
    out: dict[str, Any] = {"lastUpdated": instant(updated)}
    if version is not None:
        out = {"versionId": str(version), **out}
    return out


def coding(system: str | None, code: str | None, display: str | None = None) -> dict[str, Any]:
    """One Coding, with only the parts that are known."""
    out: dict[str, Any] = {}
    if system:
        out["system"] = system
    if code:
        out["code"] = code
    if display:
        out["display"] = display
    return out


def concept(
    system: str | None, code: str | None, display: str | None = None, text: str | None = None
) -> dict[str, Any]:
    """A CodeableConcept of one coding (when there is a code) and its text."""
    out: dict[str, Any] = {}
    if code:
        out["coding"] = [coding(system, code, display)]
    if text or display:
        out["text"] = text or display
    return out
