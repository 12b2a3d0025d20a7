"""Where a Bulk Data kick-off says to poll: `GET /fhir/R4/bulkstatus/{job}` answers 202
(with `X-Progress` and `Retry-After`) while the export runs, then 200 with its manifest
(`application/json`, signed links to every file, `Expires` when the files are deleted);
`DELETE` cancels it and deletes its files. Only the admin who asked may poll or cancel."""

from __future__ import annotations

from email.utils import format_datetime
from typing import Annotated, Any

import orjson
from fastapi import Path, Request
from starlette.responses import Response

from carehub.fhir.api.dependencies import fhir_router
from carehub.fhir.api.export import STATUS_PATH, Exports
from carehub.fhir.api.responses import fhir_errors
from carehub.fhir.export.manifest import manifest, progress
from carehub.web.actor import CurrentActor
from carehub.web.links import public_link

router = fhir_router(f"/{STATUS_PATH}")
JobId = Annotated[str, Path(max_length=64)]
# How long a client waits between polls: a step takes seconds.
RETRY_AFTER_SECONDS = 2
_MANIFEST: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export is done: its manifest",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    202: {
        "description": "The export is running: poll again after Retry-After seconds",
        "headers": {"X-Progress": {"schema": {"type": "string"}}},
    },
}


@router.get("/{job_id}", responses={**_MANIFEST, **fhir_errors(403, 404)})
async def export_status(
    actor: CurrentActor, exports: Exports, request: Request, job_id: JobId
) -> Response:
    """An export's progress, or once done its manifest."""
    job = await exports.status(actor=actor, job_id=job_id)
    if job.completed_at is None or job.expires_at is None:
        headers = {"X-Progress": progress(job), "Retry-After": str(RETRY_AFTER_SECONDS)}
        return Response(status_code=202, headers=headers)
    links = [(output, public_link(request, url)) for output, url in await exports.links(job)]
    return Response(
        orjson.dumps(manifest(job, links)),
        media_type="application/json",
        headers={"Expires": format_datetime(job.expires_at, usegmt=True)},
    )


@router.delete(
    "/{job_id}",
    status_code=202,
    responses={202: {"description": "Cancelled: its files are deleted"}, **fhir_errors(403, 404)},
)
async def cancel_export(actor: CurrentActor, exports: Exports, job_id: JobId) -> Response:
    """Cancel an export, running or done, and delete its files."""
    await exports.cancel(actor=actor, job_id=job_id)
    return Response(status_code=202)
