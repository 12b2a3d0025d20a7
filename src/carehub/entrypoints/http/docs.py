"""The API's documentation pages (Swagger UI at `/docs`, ReDoc at `/redoc`), each with a
Content-Security-Policy that allows exactly what the page loads.

Both pages load their scripts, styles and icon from carehub itself (`/docs/assets`, the
files the `fastapi-offline` package ships), so they work without internet access and the
policies name no other origin: no CDN, no web fonts (ReDoc falls back to the system's).
Swagger UI's one inline script is allowed by its hash, never by `'unsafe-inline'`. Styles
may be inline: both UIs set them from their scripts.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

ASSETS = "/docs/assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
# What neither page needs: no plugins, frames, forms or <base>, and no framing by others.
_CLOSED = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

router = APIRouter(include_in_schema=False)


def assets() -> StaticFiles:
    """The Swagger UI and ReDoc bundles, served at `ASSETS`."""
    return StaticFiles(directory=Path(str(files("fastapi_offline") / "static")))


@router.get("/docs")
async def swagger_ui(request: Request) -> Response:
    """The interactive API documentation."""
    return _page("swagger", request.app.openapi_url, request.app.title)


@router.get("/redoc")
async def redoc(request: Request) -> Response:
    """The API reference."""
    return _page("redoc", request.app.openapi_url, request.app.title)


def _page(kind: str, openapi_url: str, title: str) -> Response:
    html, policy = _rendered(kind, openapi_url, title)
    return Response(html, media_type="text/html", headers={"Content-Security-Policy": policy})


@cache
def _rendered(kind: str, openapi_url: str, title: str) -> tuple[bytes, str]:
    """The page and its policy, made once (on the first request, not on import)."""
    favicon = f"{ASSETS}/favicon.png"
    if kind == "swagger":
        html = bytes(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{title} - Swagger UI",
                swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS}/swagger-ui.css",
                swagger_favicon_url=favicon,
                # No badge fetched from the public validator: the spec stays here.
                swagger_ui_parameters={"validatorUrl": None},
            ).body
        )
        sources = {
            "script-src": ["'self'", *_hashes(html)],
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": ["'self'", "data:"],
            "connect-src": ["'self'"],
        }
    else:
        html = bytes(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{title} - ReDoc",
                redoc_js_url=f"{ASSETS}/redoc.standalone.js",
                redoc_favicon_url=favicon,
                with_google_fonts=False,
            ).body
        )
        sources = {
            "script-src": ["'self'", *_hashes(html)],
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": ["'self'", "data:"],
            "worker-src": ["blob:"],  # ReDoc's search runs in a worker it makes from a blob
            "connect-src": ["'self'"],
        }
    policy = "; ".join([_CLOSED, *(f"{name} {' '.join(v)}" for name, v in sources.items())])
    return html, policy


def _hashes(html: bytes) -> list[str]:
    """A CSP source for each inline script of the page: its SHA-256."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html.decode())
    ]
