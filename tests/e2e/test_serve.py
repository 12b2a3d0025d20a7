"""`carehub db upgrade`, `carehub demo` and `carehub serve` as real processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.bodies import SEED_001_PATIENT
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, sign_in
from tests.support.server import CAREHUB, carehub_serve, free_port


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
    admin = [CAREHUB, "users", "create-admin", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD]
    subprocess.run(admin, env=env, check=True, capture_output=True)
    log_path = tmp_path / "server.log"
    with carehub_serve(env, port, log_path) as base:
        yield base, log_path


def test_serve_embedded_with_demo_data_and_safe_logs(served: tuple[str, Path]) -> None:
    base, log_path = served
    assert httpx.get(f"{base}/patients").status_code == 401
    token = sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    with httpx.Client(base_url=base, headers=bearer(token)) as client:
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
    for secret in (
        "Moros",
        "johndoe@example.com",
        "555-555-5555",
        "Main St",
        token,
        ADMIN_PASSWORD,
    ):
        assert secret not in text, f"health data in the log: {secret}"


def test_audit_verify_detects_a_changed_entry(served: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = served
    token = sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    with httpx.Client(base_url=base, headers=bearer(token)) as client:
        for patient in client.get("/patients?limit=5").json()["items"]:
            assert client.get(f"/patients/{patient['id']}").status_code == 200
    env = {**os.environ, "CAREHUB_DATA_DIR": str(tmp_path / "data")}
    env.pop("CAREHUB_DATABASE_URL", None)
    intact = subprocess.run([CAREHUB, "audit", "verify"], env=env, capture_output=True, text=True)
    assert intact.returncode == 0, intact.stderr
    assert "intact" in intact.stderr
    with sqlite3.connect(tmp_path / "data" / "carehub.db") as conn:
        # Someone with write access to the file hides who read a record.
        conn.execute("DROP TRIGGER audit_entries_no_update")
        conn.execute("UPDATE audit_entries SET actor_id = 'nobody' WHERE seq = 3")
    broken = subprocess.run([CAREHUB, "audit", "verify"], env=env, capture_output=True, text=True)
    assert broken.returncode == 1
    assert "entry 3" in broken.stderr
