"""`carehub serve` as a real process: uvicorn believes no forwarding header of its own
(it would take X-Forwarded-For from any client on 127.0.0.1), carehub believes
X-Forwarded-For from `CAREHUB_TRUSTED_PROXIES` only, and links are on the public URL."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api.documents_world import presign
from tests.api.proxy_world import FORGED, audited_address, spoofing, wrong_password
from tests.api.scheduling_world import add_patient
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, sign_in
from tests.support.server import CAREHUB, carehub_serve, free_port

PER_ADDRESS = 3
Serve = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def serve(tmp_path: Path) -> Serve:
    """Starts `carehub serve` on a fresh embedded data folder with `env` added (its port
    given by `--port` rather than `CAREHUB_PORT` with `port_option`)."""

    @contextmanager
    def start(*, port_option: bool = False, **env: str) -> Iterator[str]:
        data = tmp_path / uuid.uuid4().hex
        port = free_port()
        environment = {
            name: value for name, value in os.environ.items() if not name.startswith("CAREHUB_")
        }
        environment.update(
            CAREHUB_DATA_DIR=str(data),
            CAREHUB_AUTH_LIMIT_PER_ADDRESS=str(PER_ADDRESS),
            CAREHUB_BOOTSTRAP_ADMIN_EMAIL=ADMIN_EMAIL,
            CAREHUB_BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD,
            **env,
        )
        subprocess.run([CAREHUB, "db", "upgrade"], env=environment, check=True, capture_output=True)
        options = ["--port", str(port)] if port_option else []
        if not port_option:
            environment["CAREHUB_PORT"] = str(port)
        with carehub_serve(environment, port, tmp_path / f"{data.name}.log", options) as base:
            yield base

    return start


def test_serve_believes_no_forwarding_header_by_default(serve: Serve) -> None:
    # uvicorn's own setting for which peers it believes changes nothing either.
    with serve(FORWARDED_ALLOW_IPS="*") as base:
        token = sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert audited_address(base, token, spoofing(FORGED)) == "127.0.0.1"
        statuses = [
            wrong_password(base, spoofing(f"203.0.113.{n}")) for n in range(1, PER_ADDRESS + 1)
        ]
        assert statuses == [401] * (PER_ADDRESS - 1) + [429]


def test_serve_believes_a_trusted_proxy(serve: Serve) -> None:
    with serve(CAREHUB_TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8") as base:
        token = sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert audited_address(base, token, {"X-Forwarded-For": FORGED}) == FORGED
        # Behind two proxies: the client's own claim and the inner proxy's hop are skipped.
        two_proxies = {"X-Forwarded-For": f"6.6.6.6, {FORGED}, 10.1.2.3"}
        assert audited_address(base, token, two_proxies) == FORGED
        first = {"X-Forwarded-For": "198.51.100.1"}
        assert [wrong_password(base, first) for _ in range(PER_ADDRESS)] == [401] * PER_ADDRESS
        assert wrong_password(base, first) == 429
        assert wrong_password(base, {"X-Forwarded-For": "198.51.100.2"}) == 401


def test_serve_makes_links_on_where_it_listens_whatever_the_host_header(serve: Serve) -> None:
    with serve(port_option=True) as base:
        token = sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        evil = {**bearer(token), "Host": "evil.example"}
        with httpx.Client(base_url=base, headers=evil, timeout=30) as client:
            form = presign(client, add_patient(client, "PE")).json()
        assert form["uploadUrl"] == f"{base}/objects/upload"
