"""The folder object store's routes in a small app of their own, as carehub serves them."""

from __future__ import annotations

from types import SimpleNamespace

from fastapi import FastAPI

from carehub.adapters.blob.folder import FolderObjectStore
from carehub.adapters.blob.folder_http import folder_router, upload_body_limit, upload_path
from carehub.entrypoints.http.middleware import RequestContextMiddleware
from carehub.web.problems import install_problem_handlers

# The general body limit carehub's settings default to.
MAX_BODY_BYTES = 1024 * 1024


def folder_objects_app(
    store: FolderObjectStore | None, *, max_upload_bytes: int = 4 * MAX_BODY_BYTES
) -> FastAPI:
    """The upload and download routes over `store`, behind the problem handlers and the
    request middleware (uploads streamed up to `max_upload_bytes` of file)."""
    app = FastAPI()
    app.state.carehub = SimpleNamespace(objects=store)
    install_problem_handlers(app)
    app.include_router(folder_router())
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=MAX_BODY_BYTES,
        streamed={upload_path(): upload_body_limit(max_upload_bytes)},
    )
    return app
