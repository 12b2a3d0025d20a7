"""The read-by-id baseline: carehub without authentication, authorization or audit.

`python -m bench.baseline` serves the real app and use cases on the same database as the
measured server (same environment variables), with two bench-only changes: every request
acts as an operator without presenting a token, and audit records are dropped. The
read-by-id rate of this server, measured in the same run as the real one, is what the
identity target compares against. Nothing here exists outside the benchmark.
"""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI, Request

from carehub.bootstrap import Carehub, build
from carehub.config import Settings
from carehub.entrypoints.http.app import create_app
from carehub.kernel.actor import Actor
from carehub.kernel.audit import AccessRecord
from carehub.patients.service import PatientService
from carehub.web.actor import authenticated

OPERATOR = Actor.system("bench-baseline")


async def _unaudited(settings: Settings) -> Carehub:
    carehub = await build(settings)
    real_factory = carehub.patients._uow  # bench-only: reuse the wiring, drop the audit

    def factory():  # type: ignore[no-untyped-def]
        uow = real_factory()

        def drop(record: AccessRecord) -> None:
            return None

        uow.audit = drop
        return uow

    carehub.patients = PatientService(factory, carehub.clock)
    return carehub


async def _as_operator(request: Request) -> Actor:
    request.state.actor = OPERATOR
    return OPERATOR


def baseline_app() -> FastAPI:
    app = create_app(Settings(), carehub=_unaudited)
    app.dependency_overrides[authenticated] = _as_operator
    return app


if __name__ == "__main__":
    settings = Settings()
    uvicorn.run(
        baseline_app(),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
    )
