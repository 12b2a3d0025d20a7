"""Daily counters and which events feed them. Counters hold codes only: no patient id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from carehub.kernel.events import EventMessage


class Metric(StrEnum):
    PATIENTS_REGISTERED = "patients_registered"
    APPOINTMENTS = "appointments"
    DOCUMENTS_UPLOADED = "documents_uploaded"


# The payload fields each metric is counted by, in the order of its dimension key.
DIMENSIONS: dict[Metric, tuple[str, ...]] = {
    Metric.PATIENTS_REGISTERED: ("countryId",),
    Metric.APPOINTMENTS: ("countryId", "status"),
    Metric.DOCUMENTS_UPLOADED: ("category",),
}
# The events each metric counts.
COUNTED_EVENTS: dict[str, Metric] = {
    "patients.patient_registered.v1": Metric.PATIENTS_REGISTERED,
    "scheduling.appointment_status_changed.v1": Metric.APPOINTMENTS,
    "documents.document_uploaded.v1": Metric.DOCUMENTS_UPLOADED,
}
MAX_DAYS = 366


@dataclass(frozen=True)
class Increment:
    """One more of `metric` on `day` for the dimension values (e.g. countryId=PE)."""

    metric: Metric
    dimension: str
    day: date


def dimension_key(values: dict[str, str]) -> str:
    """`countryId=PE;status=confirmed`: the stored form of a metric's dimension values."""
    return ";".join(f"{name}={values[name]}" for name in sorted(values))


def parse_dimension(key: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in key.split(";") if part)


def increment_for(message: EventMessage) -> Increment | None:
    """What an event adds to the counters (None for events no metric counts)."""
    metric = COUNTED_EVENTS.get(message.event_type)
    if metric is None:
        return None
    values = {name: str(message.payload.get(name) or "unknown") for name in DIMENSIONS[metric]}
    return Increment(metric, dimension_key(values), message.occurred_at.date())


def matches(key: str, wanted: dict[str, str]) -> bool:
    """Whether a stored dimension has every wanted value (unnamed ones are summed over)."""
    values = parse_dimension(key)
    return all(values.get(name) == value for name, value in wanted.items())
