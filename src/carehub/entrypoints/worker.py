"""`carehub worker`: the outbox relay and every consumer, without the API.

It is served by uvicorn as a small app whose only routes are `/health/live`,
`/health/ready` and `/metrics` (no token: the port is for probes and the scraper), so
SIGTERM gets uvicorn's graceful shutdown: the app's lifespan then stops the loops, each
finishing the delivery in hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.responses import Response

from carehub.bootstrap import CacheUnreachable, build
from carehub.config import Settings
from carehub.entrypoints.background import Background
from carehub.entrypoints.http.metrics import PAGE, metrics_page
from carehub.entrypoints.logging import configure_logging
from carehub.web.problems import error_responses, problem_response


def create_worker_app(settings: Settings | None = None) -> FastAPI:
    """The worker: background loops for as long as the app runs."""
    settings = settings or Settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        carehub = await build(settings, process="worker")
        background = Background(carehub, consumers=True)
        app.state.carehub, app.state.background = carehub, background
        background.start()
        try:
            yield
        finally:
            await background.stop()
            await carehub.close()

    app = FastAPI(title="carehub worker", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.get("/health/live")
    async def live() -> Response:
        """The worker process is up."""
        return Response(b'{"status":"ok"}', media_type="application/json")

    @app.get("/health/ready", responses={200: {"description": "Ready"}, **error_responses(503)})
    async def ready(request: Request) -> Response:
        """Every loop runs and the database answers."""
        stopped = request.app.state.background.stopped_loops()
        try:
            await request.app.state.carehub.check_ready()
        except CacheUnreachable:
            stopped.append("cache")
        except Exception:
            stopped.append("database")
        if stopped:
            return problem_response(
                request,
                status=503,
                kind="not-ready",
                title="Worker not ready",
                detail=f"Not running: {', '.join(stopped)}",
            )
        return Response(b'{"status":"ready"}', media_type="application/json")

    @app.get("/metrics", response_class=Response, responses=PAGE)
    async def metrics(request: Request) -> Response:
        """What the worker counted since it started: its relay, consumers and audit writes."""
        return await metrics_page(request)

    return app
