"""`GET /fhir/R4/Binary/{id}`: a patient file's bytes, through the same signed download URL
the native API and the file's DocumentReference give (a redirect to it: carehub never
streams a file through itself). Read through the documents use case, audited as a read
and a download."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from carehub.documents.service import DocumentService
from carehub.fhir.api.dependencies import fhir_router
from carehub.fhir.api.parameters import ResourceId
from carehub.fhir.api.responses import fhir_errors
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.links import public_link

router = fhir_router("/Binary")
Documents = Annotated[DocumentService, Depends(use_case(DocumentService))]
_REDIRECT: dict[int | str, dict[str, Any]] = {
    307: {
        "description": "The file's signed download URL, in Location",
        "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
    }
}


@router.get("/{file_id}", status_code=307, responses={**_REDIRECT, **fhir_errors(404, 422)})
async def read_binary(
    request: Request, actor: CurrentActor, documents: Documents, file_id: ResourceId
) -> Response:
    """The file's content, at its signed download URL (valid for a short while)."""
    linked = await documents.file(actor=actor, file_id=file_id)
    return RedirectResponse(public_link(request, linked.link), status_code=307)
