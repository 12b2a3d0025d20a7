"""A real carehub server per store (SQLite, PostgreSQL, DynamoDB on the session's moto
server); every test starts from empty tables."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from carehub.adapters.sql.sqlite import sqlite_path
from carehub.bootstrap import Store, open_store, secret_box
from carehub.config import Settings
from tests.conftest import BACKENDS
from tests.support.answers import ANSWERS
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in
from tests.support.clock import AdjustableClock
from tests.support.countries import create_shipped_countries
from tests.support.dynamodb import empty_table, new_table
from tests.support.server import running_server
from tests.support.services import empty_postgres, empty_sqlite, fresh_sqlite

# Access tokens live 15 minutes, and one store's tests can take longer than that: the
# admin signs in again once their token is this old.
TOKEN_REFRESH_SECONDS = 600


@dataclass
class ApiServer:
    base_url: str
    database_url: str
    clock: AdjustableClock

    signed_in_token: str
    data_dir: Path
    aws_endpoint: str | None = None
    signed_in_at: float = field(default_factory=time.monotonic)

    @property
    def admin_token(self) -> str:
        """The bootstrap admin's access token, signed in again before it expires."""
        if time.monotonic() - self.signed_in_at > TOKEN_REFRESH_SECONDS:
            self.signed_in_token = sign_in(self.base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
            self.signed_in_at = time.monotonic()
        return self.signed_in_token

    @property
    def on_dynamodb(self) -> bool:
        return self.database_url.startswith("dynamodb://")

    def client(self, token: str | None = None) -> httpx.Client:
        """A client signed in as the bootstrap admin (or with the given token)."""
        headers = {"Authorization": f"Bearer {token or self.admin_token}"}
        return httpx.Client(base_url=self.base_url, timeout=30, headers=headers)

    @asynccontextmanager
    async def store(self) -> AsyncIterator[Store]:
        """The server's database, opened beside it on its clock as another process of the
        deployment (a worker) opens it, whichever store it is."""
        settings = Settings(
            database_url=self.database_url,
            data_dir=self.data_dir,
            aws_endpoint_url=self.aws_endpoint,
        )
        store = await open_store(settings, self.clock, lambda: None, secrets=secret_box(settings))
        try:
            yield store
        finally:
            await store.close()

    def empty(self) -> None:
        if self.database_url.startswith("sqlite"):
            empty_sqlite(sqlite_path(self.database_url))
        elif self.aws_endpoint is not None:
            empty_table(self.aws_endpoint, self.database_url)
        else:
            empty_postgres(self.database_url)
        self.clock.offset = timedelta()


STORES = [*BACKENDS, pytest.param("dynamodb", marks=pytest.mark.aws)]


@pytest.fixture(scope="session", params=STORES)
def api_server(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    folder = tmp_path_factory.mktemp(f"api-{request.param}")
    endpoint: str | None = None
    if request.param == "sqlite":
        url = fresh_sqlite(sqlite_template, folder)
    elif request.param == "dynamodb":
        endpoint = request.getfixturevalue("moto_endpoint")
        url = new_table(endpoint)
    else:
        url = request.getfixturevalue("api_postgres_url")
    clock = AdjustableClock()
    settings = Settings(
        database_url=url,
        data_dir=folder,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
        auth_limit_per_address=100_000,
        # The suite makes thousands of requests a minute as one admin from one address.
        rate_limit_per_minute=1_000_000,
        aws_endpoint_url=endpoint,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with running_server(settings, clock) as base_url:
            token = sign_in(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
            yield ApiServer(base_url, url, clock, token, folder, endpoint)


@pytest.fixture
def server(api_server: ApiServer) -> ApiServer:
    api_server.empty()
    return api_server


@pytest.fixture
def api(server: ApiServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.admin_token}"}
    with httpx.Client(base_url=server.base_url, timeout=30, headers=headers) as client:
        yield client


@pytest.fixture
def shipped_countries(api: httpx.Client) -> None:
    """The countries `carehub countries load` adds (CL, CO, MX, PE, US), for tests whose
    patients name them."""
    create_shipped_countries(api)


@pytest.fixture
def anonymous(server: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run when a route answered a status its OpenAPI operation does not declare.

    Every answer the servers gave during the run counts, whichever tests were selected.
    """
    undeclared = ANSWERS.undeclared()
    if not undeclared:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "answers the OpenAPI document does not declare", red=True)
        for answer in undeclared:
            reporter.write_line(answer)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A module may name the stores its tests run on (`API_STORES`); its tests on the
    other stores are deselected (reported as such, never skipped)."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        stores = getattr(getattr(item, "module", None), "API_STORES", None)
        callspec = getattr(item, "callspec", None)
        store = callspec.params.get("api_server") if callspec is not None else None
        left_out = stores is not None and store is not None and store not in stores
        (dropped if left_out else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
