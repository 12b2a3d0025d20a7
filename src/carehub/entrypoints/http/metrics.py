"""`GET /metrics`: the process's Prometheus page, for admins (unless a port of its own
serves it: `CAREHUB_METRICS_PORT`, see `entrypoints/metrics_port.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from starlette.responses import Response

from carehub.kernel.errors import Forbidden
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.problems import error_responses

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
PAGE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Prometheus text exposition format: request counts and latencies by "
        "route template and status, the outbox backlog, events published, consumer "
        "deliveries, audit entries written",
        "content": {CONTENT_TYPE: {"schema": {"type": "string"}}},
    }
}

router = APIRouter(tags=["metrics"], dependencies=REQUIRE_TOKEN, responses=error_responses(401))


@router.get("/metrics", response_class=Response, responses={**PAGE, **error_responses(403)})
async def metrics(request: Request, actor: CurrentActor) -> Response:
    """What this process counted since it started (admins only)."""
    if not actor.unrestricted:
        raise Forbidden("Only admins read the metrics")
    return await metrics_page(request)


async def metrics_page(request: Request) -> Response:
    """The page of the carehub the app runs."""
    page: bytes = await request.app.state.carehub.metrics.page()
    return Response(page, media_type=CONTENT_TYPE)
