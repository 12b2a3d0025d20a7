"""HTTP routes for patient files and documents (seed 004)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from carehub.documents.model import Category, Kind, Scope
from carehub.documents.schemas import (
    CompleteUploadRequest,
    DeleteFilesRequest,
    DeletionRead,
    DetachRequest,
    DocumentsRead,
    FilePage,
    FileRead,
    PresignUploadRead,
    PresignUploadRequest,
    StampCreate,
    StampRead,
    StampRemovalRequest,
    category_json,
    deletion_json,
    file_json,
    presigned_json,
    stamp_json,
)
from carehub.documents.service import DocumentService
from carehub.documents.stamps import StampService
from carehub.documents.uploads import UploadService
from carehub.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.links import public_link
from carehub.web.problems import error_responses
from carehub.web.wire import json_response

router = APIRouter(
    prefix="/patients/{patient_id}",
    tags=["documents"],
    dependencies=REQUIRE_TOKEN,
    responses=error_responses(401, 404, 422),
)
Uploads = Annotated[UploadService, Depends(use_case(UploadService))]
Documents = Annotated[DocumentService, Depends(use_case(DocumentService))]
Stamps = Annotated[StampService, Depends(use_case(StampService))]


@router.post(
    "/files/presign-upload",
    response_model=PresignUploadRead,
    responses=error_responses(409, 422),
)
async def presign_upload(
    request: Request,
    actor: CurrentActor,
    uploads: Uploads,
    patient_id: str,
    body: PresignUploadRequest,
) -> Response:
    """A presigned form that uploads one file straight to object storage (15 minutes)."""
    presigned = await uploads.presign(actor=actor, patient_id=patient_id, request=body.to_request())
    return json_response(
        presigned_json(
            presigned,
            url=public_link(request, presigned.form.url),
            max_bytes=uploads.limits.max_bytes,
            lifetime=int(uploads.limits.url_lifetime.total_seconds()),
        )
    )


@router.post(
    "/files/complete",
    response_model=FileRead,
    responses=error_responses(409, 422),
)
async def complete_upload(
    actor: CurrentActor, uploads: Uploads, patient_id: str, body: CompleteUploadRequest
) -> Response:
    """Check the uploaded object (size, type by content, SHA-256) and add it to the record;
    a failing upload is deleted and reported (422)."""
    file = await uploads.complete(actor=actor, patient_id=patient_id, key=body.key)
    return json_response(file_json(file))


@router.get("/files", response_model=FilePage, responses=error_responses(422))
async def list_files(
    request: Request,
    actor: CurrentActor,
    documents: Documents,
    patient_id: str,
    scope: Scope = Scope.OPTIMIZED,
    kind: Kind | None = None,
    doc_type: Annotated[Category | None, Query(alias="docType")] = None,
    item_id: Annotated[
        str | None,
        Query(alias="itemId", min_length=1, max_length=64, description="Files attached to it"),
    ] = None,
    presign: Annotated[bool, Query(description="1: add a download URL to each")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """The patient's files (in the record or detached), with download URLs on request."""
    listing = await documents.list_files(
        actor=actor,
        patient_id=patient_id,
        scope=scope,
        kind=kind,
        category=doc_type,
        item_id=item_id,
        links=presign,
        cursor=cursor,
        limit=limit,
    )
    items = [
        file_json(f, scope, link=_link(request, listing.links.get(f.id)))
        for f in listing.page.items
    ]
    return json_response(
        {"items": items, "nextCursor": listing.page.next_cursor, "scope": scope.value}
    )


@router.get(
    "/files/download",
    status_code=307,
    response_class=RedirectResponse,
    responses=error_responses(422),
)
async def download_file(
    request: Request,
    actor: CurrentActor,
    documents: Documents,
    patient_id: str,
    key: Annotated[str, Query(max_length=512)],
) -> Response:
    """Redirect to a short-lived download URL of one of the patient's objects."""
    url = await documents.download_url(actor=actor, patient_id=patient_id, key=key)
    return RedirectResponse(public_link(request, url), status_code=307)


@router.get("/documents", response_model=DocumentsRead, responses=error_responses(422))
async def documents(
    actor: CurrentActor,
    documents: Documents,
    patient_id: str,
    kind: Annotated[
        Kind,
        Query(description="doc: the document record; note, med, task: files attached to those"),
    ] = Kind.DOC,
) -> Response:
    """The seven document categories, each with `hasFiles` and its attached files of
    `kind`."""
    groups = await documents.documents(actor=actor, patient_id=patient_id, kind=kind)
    return json_response(
        {"patientId": patient_id, "categories": [category_json(g) for g in groups]}
    )


@router.post("/documents/detach", response_model=FileRead, responses=error_responses(409, 422))
async def detach_document(
    actor: CurrentActor, documents: Documents, patient_id: str, body: DetachRequest
) -> Response:
    """Take a file out of the patient's record; its objects stay stored."""
    file = await documents.detach(
        actor=actor, patient_id=patient_id, category=body.category, key=body.key
    )
    return json_response(file_json(file))


@router.post("/files/delete", response_model=DeletionRead, responses=error_responses(404, 409, 422))
async def delete_files(
    actor: CurrentActor, documents: Documents, patient_id: str, body: DeleteFilesRequest
) -> Response:
    """Delete objects of the patient (and their variants), then invalidate the CDN; 404
    naming the keys that do not exist, and then nothing is deleted."""
    deletion = await documents.delete(
        actor=actor,
        patient_id=patient_id,
        keys=body.all_keys(),
        invalidate=body.invalidate,
        include_siblings=body.include_siblings,
    )
    return json_response(deletion_json(deletion))


@router.post(
    "/documents/{file_id}/stamp",
    status_code=201,
    response_model=StampRead,
    responses=error_responses(403, 409, 422),
)
async def stamp_document(
    actor: CurrentActor, stamps: Stamps, patient_id: str, file_id: str, body: StampCreate
) -> Response:
    """Stamp a lab or radiology document as verified (doctors); a stamp is never edited."""
    stamp = await stamps.stamp(actor=actor, patient_id=patient_id, file_id=file_id, note=body.note)
    return json_response(stamp_json(stamp), 201)


@router.post(
    "/documents/{file_id}/stamp/remove",
    response_model=StampRead,
    responses=error_responses(403, 409, 422),
)
async def remove_stamp(
    actor: CurrentActor, stamps: Stamps, patient_id: str, file_id: str, body: StampRemovalRequest
) -> Response:
    """Remove a verification stamp (admins only, with a reason; audited)."""
    stamp = await stamps.remove(
        actor=actor, patient_id=patient_id, file_id=file_id, reason=body.reason
    )
    return json_response(stamp_json(stamp))


def _link(request: Request, url: str | None) -> str | None:
    return None if url is None else public_link(request, url)
