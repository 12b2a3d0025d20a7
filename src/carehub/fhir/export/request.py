"""What a kick-off asks for: the level (system, a Group, every Patient), the resource types
and the `_since` instant, checked as the Bulk Data IG (v2) asks: anything carehub does not
serve is refused (400) rather than quietly left out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from carehub.fhir.export.errors import BadExportRequest

# The resources of each patient, from the record, the clinical record and the schedule.
PATIENT_TYPES = (
    "Patient",
    "Condition",
    "AllergyIntolerance",
    "MedicationStatement",
    "Appointment",
)
# The clinics' side: doctors of the countries exported, and the countries themselves.
DIRECTORY_TYPES = ("Practitioner", "PractitionerRole", "Organization", "Location")
SERVED_TYPES = PATIENT_TYPES + DIRECTORY_TYPES
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
MAX_TYPE_LENGTH = 500
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
# Python keeps microseconds: a longer fraction is cut to six digits before parsing.
_FRACTION = re.compile(r"(\.\d{6})\d+")


class Level(StrEnum):
    """Which kick-off: `$export` (system), `Group/{id}/$export`, `Patient/$export`."""

    SYSTEM = "system"
    GROUP = "group"
    PATIENT = "patient"


@dataclass(frozen=True)
class ExportRequest:
    """A checked kick-off. `group` is a country id (a carehub Group is one country's
    patients); `types` are in carehub's order, each once."""

    level: Level
    types: tuple[str, ...]
    since: datetime | None = None
    group: str | None = None

    @classmethod
    def of(
        cls,
        level: Level,
        *,
        group: str | None = None,
        types: str | None = None,
        since: str | None = None,
        output_format: str | None = None,
    ) -> ExportRequest:
        """Check each parameter as sent (400 naming it) and combine them."""
        if output_format is not None and output_format not in OUTPUT_FORMATS:
            raise BadExportRequest("_outputFormat", "must be application/fhir+ndjson")
        return cls(
            level=level,
            types=_types(level, types),
            since=None if since is None else parse_instant("_since", since),
            group=group,
        )

    def wants(self, resource_type: str) -> bool:
        return resource_type in self.types

    @property
    def reads_patients(self) -> bool:
        """Whether any type asked for is a patient's (else no patient is read at all)."""
        return any(t in PATIENT_TYPES for t in self.types)

    def changed(self, moment: datetime) -> bool:
        """Whether a record last changed at `moment` is exported (`_since`: after it)."""
        return self.since is None or moment > self.since


def served_types(level: Level) -> tuple[str, ...]:
    """What an export of this level holds: a patient-level one only patients' data."""
    return PATIENT_TYPES if level is Level.PATIENT else SERVED_TYPES


def parse_instant(parameter: str, value: str) -> datetime:
    """A FHIR instant (seconds and a zone required), in UTC; 400 naming `parameter`."""
    if not _INSTANT.fullmatch(value):
        raise BadExportRequest(parameter, "must be an instant (2030-01-31T09:00:00Z)")
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", value).replace("Z", "+00:00"))
    except ValueError:
        raise BadExportRequest(parameter, "is not a valid instant") from None
    return moment.astimezone(UTC)


def _types(level: Level, value: str | None) -> tuple[str, ...]:
    offered = served_types(level)
    if value is None:
        return offered
    if len(value) > MAX_TYPE_LENGTH:
        raise BadExportRequest("_type", f"must be at most {MAX_TYPE_LENGTH} characters")
    asked = [name.strip() for name in value.split(",")]
    unknown = [name for name in asked if name not in offered]
    if "" in asked:
        raise BadExportRequest("_type", "names an empty resource type")
    if unknown:
        # The names are the client's own words, cut short: they are echoed, never logged.
        named = ", ".join(dict.fromkeys(name[:64] for name in unknown))
        raise BadExportRequest("_type", f"names types this export does not serve: {named}")
    return tuple(t for t in offered if t in asked)
