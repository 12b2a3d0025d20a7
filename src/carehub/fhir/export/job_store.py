"""Where export jobs are kept: in the object store, beside their files.

Each job is the prefix `fhir-exports/{job}/`: `job.json` (its state), its NDJSON files
(`{Type}-{n}.ndjson`) and, once cancelled, a `cancelled` marker. The object store is
already there on every deployment (a folder, S3), the files must live there anyway (they
are served by signed links), and a job is read by its id only: a table of its own on
SQLite, PostgreSQL and DynamoDB (three adapters, a migration, a contract suite) would add
nothing a key cannot do. What it costs: no conditional writes and no listing. Only the
`fhir-export` consumer writes a job's state after the kick-off, one step at a time (a
step checks the stored state is still the one it started from before it saves); a
cancellation is a marker of its own, so that no step's save can undo it; and expired jobs
are found when they are polled (S3 also expires the prefix by a lifecycle rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import orjson

from carehub.documents.ports import ObjectMissing, ObjectStore
from carehub.fhir.export.job import ExportJob, Output

PREFIX = "fhir-exports"
NDJSON = "application/fhir+ndjson"
# A job's state names each file it wrote: a few hundred bytes a file, a few thousand files.
MAX_JOB_BYTES = 4 * 1024 * 1024
_JSON = "application/json"


class JobStore:
    """Export jobs and their files in an object store."""

    def __init__(self, objects: ObjectStore) -> None:
        self._objects = objects

    async def load(self, job_id: str) -> ExportJob | None:
        """The job's state; None when there is none (never asked, expired, cancelled)."""
        try:
            data = await self._objects.read(_key(job_id, "job.json"), max_bytes=MAX_JOB_BYTES)
        except ObjectMissing:
            return None
        return ExportJob.from_json(orjson.loads(data))

    async def save(self, job: ExportJob) -> None:
        await self._objects.write(
            _key(job.id, "job.json"), orjson.dumps(job.to_json()), content_type=_JSON
        )

    async def write_file(self, job_id: str, name: str, lines: Sequence[bytes]) -> None:
        """One NDJSON file of the job: a resource a line, each line ended."""
        data = b"".join(line + b"\n" for line in lines)
        await self._objects.write(_key(job_id, name), data, content_type=NDJSON)

    async def link(self, job_id: str, output: Output, expires_in: timedelta) -> str:
        """A signed download link to one of the job's files."""
        return await self._objects.presign_download(
            key=_key(job_id, output.name), expires_in=expires_in, filename=output.name
        )

    async def cancel(self, job_id: str) -> None:
        """Mark the job cancelled (steps stop at the marker), then delete its files."""
        await self._objects.write(_key(job_id, "cancelled"), b"{}", content_type=_JSON)
        job = await self.load(job_id)
        await self.delete(job_id, job.outputs if job is not None else ())

    async def cancelled(self, job_id: str) -> bool:
        return await self._objects.head(_key(job_id, "cancelled")) is not None

    async def delete(self, job_id: str, outputs: Sequence[Output]) -> None:
        """Delete the job's state and the files named."""
        keys = [_key(job_id, o.name) for o in outputs]
        await self._objects.delete([*keys, _key(job_id, "job.json")])


def _key(job_id: str, name: str) -> str:
    return f"{PREFIX}/{job_id}/{name}"
