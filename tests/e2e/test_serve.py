"""`carehub db upgrade`, `carehub demo` and `carehub serve` as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.bodies import SEED_001_PATIENT
from tests.support.server import free_port

CAREHUB = str(Path(sys.executable).with_name("carehub"))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    env = {**os.environ, "CAREHUB_DATA_DIR": str(tmp_path / "data"), "CAREHUB_PORT": str(port)}
    env.pop("CAREHUB_DATABASE_URL", None)
    subprocess.run([CAREHUB, "db", "upgrade"], env=env, check=True, capture_output=True)
    demo = subprocess.run(
        [CAREHUB, "demo", "--patients", "300"], env=env, check=True, capture_output=True, text=True
    )
    assert "created 300 demo patients" in demo.stderr
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [CAREHUB, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, process)
            yield base, log_path
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "carehub serve exited"
        try:
            if httpx.get(f"{base}/health/ready").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("carehub serve did not become ready")


def test_serve_embedded_with_demo_data_and_safe_logs(served: tuple[str, Path]) -> None:
    base, log_path = served
    with httpx.Client(base_url=base) as client:
        assert len(client.get("/patients?limit=200").json()["items"]) == 200
        countries = {p["countryId"] for p in client.get("/patients?limit=200").json()["items"]}
        assert countries == {"PE", "CL", "CO", "MX", "US"}
        created = client.post(
            "/patients", content=SEED_001_PATIENT, headers={"Content-Type": "application/json"}
        )
        assert created.status_code == 201
        assert client.get("/patients/0315").json()["name"]["family"] == "Moros"
        assert client.get("/patients?name=moros").json()["items"][0]["id"] == "0315"
    time.sleep(0.2)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    assert requests, "no request log lines"
    for line in requests:
        assert {"request_id", "route", "status", "duration_ms", "method"} <= set(line)
    assert any(r["route"] == "/patients/{patient_id}" and r["status"] == 200 for r in requests)
    text = log_path.read_text()
    for secret in ("Moros", "johndoe@example.com", "555-555-5555", "Main St"):
        assert secret not in text, f"health data in the log: {secret}"
