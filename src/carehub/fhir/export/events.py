"""An export's events: the job's id (and the number of a step), never what it holds."""

from __future__ import annotations

from dataclasses import dataclass

from typing_extensions import TypedDict

from carehub.kernel.events import DomainEvent


class ExportPayload(TypedDict):
    jobId: str


class ExportStepPayload(TypedDict):
    jobId: str
    step: int


@dataclass(frozen=True, kw_only=True)
class ExportRequested(DomainEvent):
    """An admin asked for a bulk export; its first step is due."""

    event_type = "fhir.export_requested.v1"

    def payload(self) -> ExportPayload:
        return {"jobId": self.aggregate_id}


@dataclass(frozen=True, kw_only=True)
class ExportStepWritten(DomainEvent):
    """A step of an export wrote its files; the next step is due."""

    event_type = "fhir.export_step_written.v1"
    step: int

    def payload(self) -> ExportStepPayload:
        return {"jobId": self.aggregate_id, "step": self.step}


@dataclass(frozen=True, kw_only=True)
class ExportCompleted(DomainEvent):
    """An export wrote its last file: its manifest can be read."""

    event_type = "fhir.export_completed.v1"

    def payload(self) -> ExportPayload:
        return {"jobId": self.aggregate_id}


EXPORT_EVENTS = (ExportRequested, ExportStepWritten, ExportCompleted)
