"""The FastAPI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from carehub import __version__
from carehub.analytics import api as analytics_api
from carehub.audit import api as audit_api
from carehub.bootstrap import (
    Carehub,
    build,
    ensure_bootstrap_admin,
    object_routes,
    request_cost_meter,
    streamed_bodies,
)
from carehub.clinical.api import ROUTERS as clinical_routers
from carehub.config import Settings
from carehub.countries import api as countries_api
from carehub.documents import api as documents_api
from carehub.entrypoints.background import Background
from carehub.entrypoints.http import docs, health
from carehub.entrypoints.http import metrics as metrics_api
from carehub.entrypoints.http.answers import declare_app_wide_answers
from carehub.entrypoints.http.middleware import RequestContextMiddleware
from carehub.entrypoints.http.proxy import ProxyMiddleware
from carehub.entrypoints.http.throttle import AddressThrottleMiddleware
from carehub.entrypoints.http.use_cases import provide_use_cases
from carehub.entrypoints.logging import configure_logging
from carehub.entrypoints.metrics_port import metrics_port
from carehub.events import api as events_api
from carehub.fhir.api import APP_WIDE_ANSWERS, install_fhir
from carehub.identity import api as identity_api
from carehub.kernel.metrics import Metrics
from carehub.kernel.tracing import Tracing
from carehub.patients import api as patients_api
from carehub.practitioners import api as doctors_api
from carehub.scheduling import api as scheduling_api
from carehub.timeline import api as timeline_api
from carehub.web.dependencies import install_use_cases
from carehub.web.links import PublicOrigin
from carehub.web.problems import error_responses, install_problem_handlers
from carehub.web.query import known_query_parameters
from carehub.webhooks import api as webhooks_api

DESCRIPTION = """Patient records for clinics in several countries.

Every route but health, docs, sign-in (`/auth/*`) and the JWKS needs
`Authorization: Bearer <accessToken>` from `POST /auth/login`. Every access to health data
is written to a hash-chained audit trail.

Errors are RFC 9457 problem details (`application/problem+json`). Lists are
cursor-paginated. Updates need `If-Match` with the ETag you read. POSTs accept an
`Idempotency-Key`.

Each signed-in principal may make a set number of requests a minute (600 unless the
operator chose otherwise), each client address ten times as many; refused requests count
too. Above that: 429 with `Retry-After` in seconds.
"""


def create_app(
    settings: Settings | None = None,
    *,
    carehub: Callable[[Settings], Awaitable[Carehub]] | None = None,
    background_loops: bool = True,
) -> FastAPI:
    """Build the API; connections open when the app starts, not on import. Without
    `background_loops` the app only serves (on Lambda the loops are functions of their own)."""
    settings = settings or Settings()
    configure_logging(settings.log_level)
    make = carehub or build

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.carehub = await make(settings)
        provide_use_cases(use_cases, app.state.carehub)
        await ensure_bootstrap_admin(app.state.carehub)
        # The relay runs in every process (one leads at a time); consumers only where asked.
        background = Background(app.state.carehub, consumers=settings.consumers_in_serve)
        if background_loops:
            background.start()
        # What start-up made (modules, routes, schemas, caches) lives as long as the process:
        # frozen, full collections stop walking it (about 0.1 s each, a latency spike).
        gc.freeze()
        try:
            async with AsyncExitStack() as scraped:
                if settings.metrics_port is not None:
                    await scraped.enter_async_context(
                        metrics_port(
                            app.state.carehub.metrics.page, settings.host, settings.metrics_port
                        )
                    )
                yield
        finally:
            await background.stop()
            await app.state.carehub.close()

    def metrics() -> Metrics | None:
        carehub = getattr(app.state, "carehub", None)
        return None if carehub is None else carehub.metrics

    def tracing() -> Tracing | None:
        carehub = getattr(app.state, "carehub", None)
        return None if carehub is None else carehub.tracing

    app = FastAPI(
        title="carehub",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by `docs` instead, each page with its own Content-Security-Policy.
        docs_url=None,
        redoc_url=None,
        # Every route refuses query parameters it does not declare (a 422 it can answer).
        dependencies=[Depends(known_query_parameters)],
        responses=error_responses(422),
    )
    use_cases = install_use_cases(app)
    use_cases.provide(PublicOrigin, PublicOrigin(settings.resolved_public_url))
    install_problem_handlers(app)
    # Routes are matched in this order, so the busiest come first.
    app.include_router(health.router)
    app.include_router(patients_api.router)
    app.include_router(countries_api.router)
    app.include_router(doctors_api.router)
    app.include_router(scheduling_api.router)
    app.include_router(documents_api.router)
    app.include_router(timeline_api.router)
    install_fhir(app)
    for router in clinical_routers:
        app.include_router(router)
    for router in object_routes(settings):
        app.include_router(router)
    app.include_router(identity_api.auth)
    app.include_router(identity_api.keys)
    app.include_router(identity_api.users)
    app.include_router(audit_api.router)
    app.include_router(analytics_api.router)
    app.include_router(events_api.router)
    app.include_router(webhooks_api.router)
    if settings.metrics_port is None:  # else only the metrics port serves it
        app.include_router(metrics_api.router)
    app.include_router(docs.router)
    app.mount(docs.ASSETS, docs.assets(), name="docs-assets")
    declare_app_wide_answers(app, APP_WIDE_ANSWERS)
    # Innermost: a refusal still passes CORS (a browser can read it), gets a request id and
    # is logged; CORS preflights are answered before they are counted.
    app.add_middleware(AddressThrottleMiddleware, use_cases=use_cases)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "If-Match",
            "If-None-Match",
            "Idempotency-Key",
            "X-Request-ID",
        ],
        expose_headers=[
            "ETag",
            "Location",
            "X-Request-ID",
            "Idempotent-Replayed",
            "Retry-After",
        ],
        max_age=600,
    )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        streamed=streamed_bodies(settings),
        cost_meter=request_cost_meter(settings),
        metrics=metrics,
        tracing=tracing,
    )
    # Outermost, so every layer sees the client's address and the public origin.
    app.add_middleware(
        ProxyMiddleware,
        public_url=settings.resolved_public_url,
        trusted_proxies=settings.trusted_proxies,
    )
    return app
