"""The read-by-id baseline: carehub without authentication, authorization or audit.

`python -m bench.baseline` serves the real app and use cases on the same database as the
measured server (same environment variables), with two bench-only changes: any bearer
token is taken, unverified, as an operator's (the scenario sends a fixed one, so the
request still passes through the same security dependency), and audit records are
dropped. The read-by-id rate of this server, measured in the same run as the real one,
is what the identity target compares against. Nothing here exists outside the benchmark.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from fastapi import FastAPI

from carehub.bootstrap import Carehub, build
from carehub.config import Settings
from carehub.entrypoints.http.app import create_app
from carehub.kernel.actor import Actor
from carehub.kernel.audit import AccessRecord
from carehub.patients.service import PatientService

OPERATOR = Actor.system("bench-baseline")
TOKEN = "baseline"  # what the baseline scenario sends; never checked


class _AnyTokenIsTheOperator:
    """The sessions use case, except that `authenticate` trusts every token."""

    def __init__(self, sessions: Any) -> None:
        self._sessions = sessions

    async def authenticate(self, token: str, **_: Any) -> Actor:
        return OPERATOR

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sessions, name)


async def _unguarded(settings: Settings) -> Carehub:
    carehub = await build(settings)
    real_factory = carehub.patients._uow  # bench-only: reuse the wiring, drop the audit

    def factory():  # type: ignore[no-untyped-def]
        uow = real_factory()

        def drop(record: AccessRecord) -> None:
            return None

        uow.audit = drop
        return uow

    carehub.patients = PatientService(factory, carehub.clock)
    carehub.identity.sessions = _AnyTokenIsTheOperator(carehub.identity.sessions)  # type: ignore[assignment]
    return carehub


def baseline_app() -> FastAPI:
    return create_app(Settings(), carehub=_unguarded)


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
