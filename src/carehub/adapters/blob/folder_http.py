"""The folder store's two routes: the form uploads post to, and the links downloads follow.

They answer only when the app's object store is a `FolderObjectStore` (404 otherwise), and
need no sign-in: the signature is the permission, scoped to one key until it expires.

The upload route streams its body: give the request middleware the path and a limit from
`upload_body_limit` (the largest file any form is signed for, plus the form around it),
so the body is neither buffered nor refused at the general body limit.
"""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query, Request
from starlette.datastructures import UploadFile
from starlette.responses import FileResponse, Response

from carehub.adapters.blob.folder import (
    FolderObjectStore,
    LinkRefused,
    UnsafeKey,
    UploadRefused,
    UploadTooLarge,
)
from carehub.documents.ports import ObjectMissing
from carehub.kernel.errors import FieldError, Forbidden, Invalid, NotFound
from carehub.web.problems import PayloadTooLarge, error_responses

log = structlog.get_logger("carehub.objects")

# Room for the signed fields and the multipart framing around the file.
FORM_OVERHEAD_BYTES = 64 * 1024
_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def upload_body_limit(max_file_bytes: int) -> int:
    """The request body limit for the upload route when files go up to `max_file_bytes`."""
    return max_file_bytes + FORM_OVERHEAD_BYTES


def upload_path(prefix: str = "/objects") -> str:
    """The upload route's path, for the request middleware's streamed paths."""
    return f"{prefix.rstrip('/')}/upload"


def folder_router(prefix: str = "/objects") -> APIRouter:
    """The upload and download routes under `prefix` (the store's `route_prefix`)."""
    router = APIRouter(prefix=prefix.rstrip("/"), tags=["objects"])

    @router.post(
        "/upload",
        status_code=204,
        response_class=Response,
        responses=error_responses(400, 403, 404, 413, 422),
    )
    async def upload_object(request: Request) -> Response:
        """Store the file of a presigned upload form (multipart: the signed fields, then
        `file`)."""
        store = _folder_store(request)
        form = await request.form(max_files=1, max_fields=10)
        try:
            file = form.get("file")
            if not isinstance(file, UploadFile):
                raise Invalid(
                    "The form needs its file as a part named 'file'",
                    errors=[FieldError("file", "is required")],
                )
            fields: dict[str, str] = {}
            for name, value in form.multi_items():
                if name == "file":
                    continue
                if not isinstance(value, str) or name in fields:
                    raise Forbidden("The form has fields it was not signed with")
                fields[name] = value
            try:
                await store.accept_upload(fields, file.file, part_content_type=file.content_type)
            except (LinkRefused, UploadRefused, UnsafeKey) as exc:
                log.info("objects.upload_refused", reason=type(exc).__name__)
                raise _problem(exc) from None
        finally:
            await form.close()
        return Response(status_code=204)

    @router.get(
        "/{key:path}",
        response_class=FileResponse,
        responses={
            200: {"content": {"application/octet-stream": {}}, "description": "The object"},
            206: {"content": {"application/octet-stream": {}}, "description": "Part of it"},
            **error_responses(403, 404, 422),
        },
    )
    async def download_object(
        key: str,
        request: Request,
        expires: Annotated[str | None, Query(max_length=32)] = None,
        signature: Annotated[str | None, Query(max_length=256)] = None,
        filename: Annotated[str | None, Query(max_length=1024)] = None,
    ) -> Any:
        """Read an object through a presigned link (supports `Range`)."""
        store = _folder_store(request)
        signed = {"expires": expires, "signature": signature, "filename": filename}
        link = {name: value for name, value in signed.items() if value is not None}
        try:
            download = store.open_download(key, link)
        except (LinkRefused, UnsafeKey) as exc:
            raise _problem(exc) from None
        except ObjectMissing:
            raise NotFound("Nothing is stored at this key") from None
        headers = dict(_HEADERS)
        if download.filename is None and download.media_type == "application/octet-stream":
            # Nothing carehub shows inline: never let a browser render it on this origin.
            headers["Content-Disposition"] = "attachment"
        return FileResponse(
            download.path,
            media_type=download.media_type,
            headers=headers,
            filename=download.filename,
            content_disposition_type="attachment",
        )

    return router


router = folder_router()


def _folder_store(request: Request) -> FolderObjectStore:
    store = getattr(getattr(request.app.state, "carehub", None), "objects", None)
    if not isinstance(store, FolderObjectStore):
        raise NotFound("This server keeps no objects of its own")
    return store


def _problem(exc: Exception) -> Exception:
    if isinstance(exc, LinkRefused):
        return Forbidden(f"The link or form is refused: {exc}")
    if isinstance(exc, UploadTooLarge):
        return PayloadTooLarge(f"The upload is refused: {exc}")
    return Invalid(
        f"The upload is refused: {exc}",
        errors=[FieldError("key" if isinstance(exc, UnsafeKey) else "file", str(exc))],
    )
