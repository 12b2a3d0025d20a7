"""The `fhir-export` consumer: each event of an export runs its next step."""

from __future__ import annotations

from carehub.fhir.export.events import ExportRequested, ExportStepWritten
from carehub.fhir.export.service import FhirExportService
from carehub.kernel.events import EventMessage
from carehub.kernel.unit_of_work import UnitOfWork

EXPORT_STEP_EVENTS = frozenset({ExportRequested.event_type, ExportStepWritten.event_type})


class RunExportStep:
    """Runs the step an event makes due: the first on a request, the next after a step.
    The next step's event commits with this one's processed record, so a step's event is
    recorded once whatever is delivered twice."""

    def __init__(self, exports: FhirExportService) -> None:
        self._exports = exports

    async def __call__(self, message: EventMessage, uow: UnitOfWork) -> None:
        if message.event_type == ExportRequested.event_type:
            step = 1
        elif message.event_type == ExportStepWritten.event_type:
            step = int(message.payload["step"]) + 1
        else:
            return
        await self._exports.run_step(job_id=message.aggregate_id, step=step, uow=uow)
