"""The bulk export's use cases: kick-off, status, cancellation (admins only, each attempt
audited), and the step the `fhir-export` consumer runs for each event of a job."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from carehub.countries.service import CountryService
from carehub.documents.ports import ObjectStore
from carehub.fhir.export.content import Exporter, Slice
from carehub.fhir.export.errors import ExportForbidden, ExportNotFound
from carehub.fhir.export.events import ExportCompleted, ExportRequested, ExportStepWritten
from carehub.fhir.export.job import MAX_LINES_PER_FILE, ExportJob, Output, Position
from carehub.fhir.export.job_store import JobStore
from carehub.fhir.export.request import ExportRequest
from carehub.kernel.access_gate import AccessGate
from carehub.kernel.actor import Actor, Role
from carehub.kernel.audit import Outcome
from carehub.kernel.clock import Clock
from carehub.kernel.ids import new_id
from carehub.kernel.unit_of_work import UnitOfWork

# A manifest's links are signed for an hour (or until the files expire, if sooner); a
# client that needs longer polls the status again for fresh ones.
LINK_LIFETIME = timedelta(hours=1)
# A job's id is a UUIDv7 carehub made: anything else names no job (nor an object key).
_JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class FhirExportService:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        *,
        objects: ObjectStore,
        exporter: Exporter,
        countries: CountryService,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._jobs = JobStore(objects)
        self._countries = countries
        self._gate = AccessGate(clock, "fhir_export")
        self.exporter = exporter

    async def start(self, *, actor: Actor, request: ExportRequest, request_url: str) -> ExportJob:
        """Record a new export and the event its first step runs on; a Group must be a
        country carehub has (404 otherwise)."""
        async with self._uow() as uow:
            if not actor.unrestricted:
                await self._gate.refuse(uow, actor, "fhir_export.start", None, Outcome.DENIED)
                raise ExportForbidden()
            if request.group is not None:
                country = await self._countries.get(country_id=request.group)
                request = replace(request, group=country.id)  # its id, given its code
            now = self._clock.now()
            job = ExportJob(
                id=new_id(),
                requested_by=actor.id,
                request_url=request_url,
                request=request,
                transaction_time=now,
                position=Position(),
                outputs=(),
                updated_at=now,
            )
            await self._jobs.save(job)
            uow.record(ExportRequested(aggregate_id=job.id, occurred_at=now, actor_id=actor.id))
            uow.audit(self._gate.record(actor, "fhir_export.start", None, job.id))
            await uow.commit()
        return job

    async def status(self, *, actor: Actor, job_id: str) -> ExportJob:
        """The export as it stands; reading a finished one (its manifest, whose links
        reach every file) is audited. An expired one is deleted and not found."""
        async with self._uow() as uow:
            job = await self._visible(uow, actor, job_id, "fhir_export.read")
            expires = job.expires_at
            if expires is not None and self._clock.now() >= expires:
                await self._jobs.delete(job.id, job.outputs)
                await self._gate.refuse(uow, actor, "fhir_export.read", None, Outcome.NOT_FOUND)
                raise ExportNotFound(job_id)
            if job.completed_at is not None:
                uow.audit(self._gate.record(actor, "fhir_export.read", None, job.id))
                await uow.commit()
        return job

    async def links(self, job: ExportJob) -> list[tuple[Output, str]]:
        """A signed download link to each file of a finished export."""
        expires = job.expires_at or self._clock.now()
        lifetime = min(LINK_LIFETIME, expires - self._clock.now())
        lifetime = max(lifetime, timedelta(seconds=1))
        return [(o, await self._jobs.link(job.id, o, lifetime)) for o in job.outputs]

    async def cancel(self, *, actor: Actor, job_id: str) -> None:
        """Stop the export and delete its files (finished or not)."""
        async with self._uow() as uow:
            job = await self._visible(uow, actor, job_id, "fhir_export.cancel")
            await self._jobs.cancel(job.id)
            uow.audit(self._gate.record(actor, "fhir_export.cancel", None, job.id))
            await uow.commit()

    async def run_step(self, *, job_id: str, step: int, uow: UnitOfWork) -> None:
        """Run step `step` of the job (1 is the first) and record the event of the next.

        A step already run whose event did not commit (the consumer's unit failed after
        the state was saved) records that event again; any other repeat does nothing."""
        job = await self._jobs.load(job_id)
        if job is None or await self._jobs.cancelled(job_id):
            return
        if job.position.steps == step:
            self._record_next(uow, job)
            return
        if job.completed_at is not None or job.position.steps != step - 1:
            return
        # The admin who asked reads as themselves (the rights they had when asking).
        actor = Actor(id=job.requested_by, role=Role.ADMIN)
        piece = await self.exporter.step(actor, job.request, job.position)
        advanced = job.advanced(piece.position, await self._write(job, piece), self._clock.now())
        stored = await self._jobs.load(job_id)
        if stored is None or stored.position.steps != step - 1:
            return  # cancelled, or a twin delivery got there first: its files are these
        await self._jobs.save(advanced)
        if await self._jobs.cancelled(job_id):
            # Cancelled while this step ran: the cancellation may have missed these files.
            await self._jobs.delete(job_id, advanced.outputs)
            return
        self._record_next(uow, advanced)

    def _record_next(self, uow: UnitOfWork, job: ExportJob) -> None:
        now = self._clock.now()
        if job.completed_at is not None:
            uow.record(
                ExportCompleted(aggregate_id=job.id, occurred_at=now, actor_id=job.requested_by)
            )
        else:
            uow.record(
                ExportStepWritten(
                    aggregate_id=job.id,
                    occurred_at=now,
                    actor_id=job.requested_by,
                    step=job.position.steps,
                )
            )

    async def _write(self, job: ExportJob, piece: Slice) -> list[Output]:
        """The step's lines as files of at most MAX_LINES_PER_FILE, numbered per type
        after the job's earlier ones."""
        outputs: list[Output] = []
        for resource_type, lines in piece.by_type():
            n = job.files_of(resource_type)
            for start in range(0, len(lines), MAX_LINES_PER_FILE):
                n += 1
                chunk = lines[start : start + MAX_LINES_PER_FILE]
                name = f"{resource_type}-{n}.ndjson"
                await self._jobs.write_file(job.id, name, chunk)
                outputs.append(Output(resource_type, name, len(chunk)))
        return outputs

    async def _visible(self, uow: UnitOfWork, actor: Actor, job_id: str, action: str) -> ExportJob:
        """The job if the actor may see it: admins only (403), and only the admin who
        asked (another is told it does not exist, as for an unknown id)."""
        if not actor.unrestricted:
            await self._gate.refuse(uow, actor, action, None, Outcome.DENIED, job_id)
            raise ExportForbidden()
        job = await self._jobs.load(job_id) if _JOB_ID.fullmatch(job_id) else None
        if job is None or job.requested_by != actor.id:
            outcome = Outcome.NOT_FOUND if job is None else Outcome.DENIED
            await self._gate.refuse(uow, actor, action, None, outcome, job_id)
            raise ExportNotFound(job_id)
        return job
