"""Health, OpenAPI, docs and CORS."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from carehub.bootstrap import Carehub, build
from carehub.config import Settings
from carehub.entrypoints.http.app import create_app
from carehub.patients.service import PatientService
from carehub.web.dependencies import use_case
from tests.api.bodies import SEED_001_PATIENT
from tests.api.conftest import ApiServer
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in
from tests.support.clock import AdjustableClock
from tests.support.server import running_server, serving
from tests.support.services import fresh_sqlite


def test_health(api: httpx.Client) -> None:
    assert api.get("/health/live").json() == {"status": "ok"}
    ready = api.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


def test_openapi_describes_the_routes_and_their_problems(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/patients"]) == {"get", "post"}
    assert set(paths["/patients/{patient_id}"]) == {"get", "patch", "delete"}
    post = paths["/patients"]["post"]["responses"]
    assert {"201", "400", "401", "409", "413", "422", "429"} <= set(post)
    assert "application/problem+json" in post["409"]["content"]
    patch = paths["/patients/{patient_id}"]["patch"]["responses"]
    assert {"412", "428"} <= set(patch)
    assert "PatientRead" in spec["components"]["schemas"]
    assert "Problem" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # not the shape we send
    assert api.get("/docs").status_code == 200


def test_cors_is_closed_by_default(api: httpx.Client) -> None:
    response = api.options(
        "/patients",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers
    plain = api.get("/patients", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in plain.headers


def test_cors_allows_configured_origins(sqlite_template: Path, tmp_path: Path) -> None:
    settings = Settings(
        database_url=fresh_sqlite(sqlite_template, tmp_path),
        cors_origins=["https://clinic.example"],
        data_dir=tmp_path,
    )
    with running_server(settings, AdjustableClock()) as base, httpx.Client(base_url=base) as client:
        allowed = client.options(
            "/patients",
            headers={
                "Origin": "https://clinic.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,idempotency-key",
            },
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://clinic.example"
        refused = client.get("/health/live", headers={"Origin": "https://other.example"})
        assert "access-control-allow-origin" not in refused.headers


def test_unknown_route_is_a_problem(api: httpx.Client, server: ApiServer) -> None:
    response = api.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert api.put("/patients/x", json={}).status_code == 405


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
# What a docs page's policy may name besides hashes: this server, and nothing else.
LOCAL_SOURCES = {"'none'", "'self'", "'unsafe-inline'", "data:", "blob:"}


def test_every_response_sends_the_security_headers_and_health_data_is_not_stored(
    api: httpx.Client, anonymous: httpx.Client
) -> None:
    responses = {
        "list": api.get("/patients"),
        "missing": api.get("/patients/nobody"),
        "no route": api.get("/nowhere"),
        "unauthenticated": anonymous.get("/patients"),
        "invalid": api.post("/patients", json={}),
        "too large": api.post("/patients", content=b"x" * (2 * 1024 * 1024)),
        "health": anonymous.get("/health/live"),
        "openapi": anonymous.get("/openapi.json"),
    }
    for name, response in responses.items():
        for header, value in SECURITY_HEADERS.items():
            assert response.headers.get(header) == value, (name, header, response.headers)
        assert response.headers.get_list("x-content-type-options") == ["nosniff"], name
    for name in ("list", "missing", "unauthenticated", "invalid", "too large"):
        assert responses[name].headers["cache-control"] == "no-store", name
    # A route that chose its own caching keeps it.
    jwks = anonymous.get("/.well-known/jwks.json")
    assert jwks.headers["cache-control"] == "public, max-age=300"
    assert jwks.headers["x-frame-options"] == "DENY"


def test_the_docs_pages_load_only_carehubs_own_assets(anonymous: httpx.Client) -> None:
    for path, script in (
        ("/docs", "/docs/assets/swagger-ui-bundle.js"),
        ("/redoc", "/docs/assets/redoc.standalone.js"),
    ):
        page = anonymous.get(path)
        assert page.status_code == 200
        assert f'src="{script}"' in page.text
        # Every script, style sheet and icon is a path on this server: nothing to fetch
        # from the internet.
        referenced = re.findall(r'(?:src|href)="([^"]*)"', page.text)
        assert referenced and all(url.startswith("/docs/assets/") for url in referenced)
        assert "http://" not in page.text and "https://" not in page.text
        policy = {
            name: value
            for name, _, value in (
                part.strip().partition(" ")
                for part in page.headers["content-security-policy"].split(";")
            )
        }
        assert policy["default-src"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["connect-src"] == "'self'"
        # No other origin anywhere in the policy: no CDN, no web fonts.
        for sources in policy.values():
            for source in sources.split():
                assert source in LOCAL_SOURCES or source.startswith("'sha256-"), (path, source)
        scripts = policy["script-src"].split()
        assert scripts[0] == "'self'"
        inline = re.findall(r"<script>(.*?)</script>", page.text, re.S)
        for script_text in inline:  # each inline script is allowed by its hash, and only it
            digest = base64.b64encode(hashlib.sha256(script_text.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in scripts
        assert len(scripts) == 1 + len(inline)
    assert anonymous.get("/docs/oauth2-redirect").status_code == 404  # no OAuth2 flow here


def test_the_docs_assets_are_served_with_their_types(anonymous: httpx.Client) -> None:
    for name, media_type, marker in (
        ("swagger-ui-bundle.js", "text/javascript", b"SwaggerUIBundle"),
        ("swagger-ui.css", "text/css", b".swagger-ui"),
        ("redoc.standalone.js", "text/javascript", b"Redoc"),
        ("favicon.png", "image/png", b"\x89PNG"),
    ):
        asset = anonymous.get(f"/docs/assets/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["content-type"].split(";")[0] == media_type, name
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert marker in asset.content[:200_000], name
    missing = anonymous.get("/docs/assets/nothing.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_a_trailing_slash_redirect_stays_on_carehub(
    anonymous: httpx.Client, server: ApiServer
) -> None:
    redirect = anonymous.get("/patients/?limit=5", headers={"Host": "evil.example"})
    assert redirect.status_code == 307
    assert redirect.headers["Location"] == f"{server.base_url}/patients?limit=5"


class BrokenUseCase:
    """A use case whose every call fails the way a bug would."""

    def __getattr__(self, name: str) -> Callable[..., Awaitable[None]]:
        async def fail(**_: object) -> None:
            raise RuntimeError("disk on fire while reading María's record")

        return fail


def test_an_unexpected_error_is_a_problem_that_closes_the_connection_cleanly(
    sqlite_template: Path, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=fresh_sqlite(sqlite_template, tmp_path),
        data_dir=tmp_path,
        bootstrap_admin_email=ADMIN_EMAIL,
        bootstrap_admin_password=ADMIN_PASSWORD,
    )
    clock = AdjustableClock()

    async def make(s: Settings) -> Carehub:
        return await build(s, clock=clock)

    app = create_app(settings, carehub=make)
    app.dependency_overrides[use_case(PatientService)] = BrokenUseCase
    with serving(app) as base_url:
        token = sign_in(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
        host, port = urlsplit(base_url).netloc.split(":")
        for method, body in (("GET", b""), ("POST", SEED_001_PATIENT.encode())):
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                path = "/patients/pt-1" if method == "GET" else "/patients"
                sock.sendall(
                    f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                status, headers, content = read_response(sock)

                assert status == 500, content
                assert headers["content-type"] == "application/problem+json"
                problem = json.loads(content)
                assert problem["status"] == 500
                assert problem["requestId"] == headers["x-request-id"]
                assert b"disk on fire" not in content and b"Traceback" not in content
                assert headers["connection"] == "close"
                for header, value in SECURITY_HEADERS.items():
                    assert headers[header] == value
                assert headers["cache-control"] == "no-store"
                assert sock.recv(1024) == b""  # a clean close (FIN), never a reset
        # The server is fine: a new connection is served as usual.
        fine = httpx.get(f"{base_url}/health/live", timeout=10)
        assert fine.status_code == 200


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length, read off a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed before the response"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed inside the body"
        rest += chunk
    return int(status_line.split()[1]), headers, rest[:length]
