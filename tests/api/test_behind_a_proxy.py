"""Behind a reverse proxy: the client's address comes from `X-Forwarded-For` only when a
trusted proxy sent it, and absolute links come from the configured public URL, never from
the request's `Host` header."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from carehub.config import Settings
from tests.api.documents_world import presign
from tests.api.proxy_world import FORGED, audited_address, spoofing, wrong_password
from tests.api.scheduling_world import add_patient
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, sign_in
from tests.support.clock import AdjustableClock
from tests.support.countries import ensure_country
from tests.support.server import running_server
from tests.support.services import fresh_sqlite

PER_ADDRESS = 3
Serve = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def serve(sqlite_template: Path, tmp_path: Path) -> Serve:
    """Starts carehub (SQLite) with a small per-address sign-in limit and `settings`."""

    @contextmanager
    def start(**settings: Any) -> Iterator[str]:
        configured = Settings(
            database_url=fresh_sqlite(sqlite_template, tmp_path),
            data_dir=tmp_path,
            bootstrap_admin_email=ADMIN_EMAIL,
            bootstrap_admin_password=ADMIN_PASSWORD,
            auth_limit_per_address=PER_ADDRESS,
            **settings,
        )
        with running_server(configured, AdjustableClock()) as base:
            yield base

    return start


def test_no_header_chooses_the_address_of_a_client_that_is_no_trusted_proxy(serve: Serve) -> None:
    with serve() as base:
        token = sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)  # the first attempt of 127.0.0.1
        assert audited_address(base, token, spoofing(FORGED)) == "127.0.0.1"
        # Each attempt claims another address; all count against 127.0.0.1.
        statuses = [
            wrong_password(base, spoofing(f"203.0.113.{n}")) for n in range(1, PER_ADDRESS + 1)
        ]
        assert statuses == [401] * (PER_ADDRESS - 1) + [429]


def test_a_trusted_proxy_names_the_client(serve: Serve) -> None:
    with serve(trusted_proxies="127.0.0.0/8") as base:
        token = sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        # What the client wrote to the left of the proxy's own entry is not believed, and
        # the hops of proxies in the trusted range are passed over.
        forwarded = {"X-Forwarded-For": f"6.6.6.6, {FORGED}"}
        assert audited_address(base, token, forwarded) == FORGED
        two_proxies = {"X-Forwarded-For": f"6.6.6.6, {FORGED}, 127.0.0.2"}
        assert audited_address(base, token, two_proxies) == FORGED
        assert audited_address(base, token, {}) == "127.0.0.1"
        # Each forwarded address has its own limit; the proxy's address is not one of them.
        first = {"X-Forwarded-For": "198.51.100.1"}
        second = {"X-Forwarded-For": "198.51.100.2"}
        assert [wrong_password(base, first) for _ in range(PER_ADDRESS)] == [401] * PER_ADDRESS
        assert wrong_password(base, first) == 429
        assert wrong_password(base, second) == 401
        # Only X-Forwarded-For is read, even from a trusted proxy.
        for header in ("Forwarded", "X-Real-IP"):
            claimed = {header: spoofing("198.51.100.3")[header]}
            assert audited_address(base, token, claimed) == "127.0.0.1"


def test_links_are_on_the_public_url_whatever_the_host_header_says(serve: Serve) -> None:
    public = "https://api.clinic.example"
    with serve(public_url=public) as base:
        token = sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        evil = {**bearer(token), "Host": "evil.example"}
        with httpx.Client(base_url=base, headers=evil, timeout=30) as client:
            ensure_country(client, "PE")
            patient = add_patient(client, "PE")
            form = presign(client, patient).json()
            assert form["uploadUrl"].startswith(f"{public}/objects/upload")
            # The trailing-slash redirect the framework makes is on the public URL too.
            slashed = client.get("/patients/")
            assert slashed.status_code == 307
            assert slashed.headers["Location"] == f"{public}/patients"
