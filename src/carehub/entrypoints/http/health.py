"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from carehub.bootstrap import CacheUnreachable
from carehub.web.problems import error_responses, problem_response

router = APIRouter(prefix="/health", tags=["health"])
_OK = b'{"status":"ok"}'


@router.get("/live", responses={200: {"description": "The process is serving requests"}})
async def live() -> Response:
    """The process is up (it checks nothing else)."""
    return Response(_OK, media_type="application/json")


@router.get("/ready", responses={200: {"description": "Ready"}, **error_responses(503)})
async def ready(request: Request) -> Response:
    """The process can reach its database and its shared cache."""
    try:
        await request.app.state.carehub.check_ready()
    except CacheUnreachable:
        return _not_ready(request, "The cache (CAREHUB_CACHE_URL) cannot be reached")
    except Exception:
        return _not_ready(request, "The database cannot be reached")
    return Response(b'{"status":"ready","checks":{"database":"ok"}}', media_type="application/json")


def _not_ready(request: Request, detail: str) -> Response:
    return problem_response(
        request, status=503, kind="not-ready", title="Service unavailable", detail=detail
    )
