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
from tests.support.countries import SEED_001_COUNTRY
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
        assert client.post("/countries", json=SEED_001_COUNTRY).status_code == 201
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
    assert "shard 0: intact" in intact.stderr  # a line per shard (SQLite keeps to one)
    assert "audit trail intact" in intact.stderr
    with sqlite3.connect(tmp_path / "data" / "carehub.db") as conn:
        # Someone with write access to the file hides who read a record.
        conn.execute("DROP TRIGGER audit_entries_no_update")
        conn.execute("UPDATE audit_entries SET actor_id = 'nobody' WHERE seq = 3")
    broken = subprocess.run([CAREHUB, "audit", "verify"], env=env, capture_output=True, text=True)
    assert broken.returncode == 1
    assert "shard 0: broken at entry 3" in broken.stderr


def test_a_fresh_install_has_the_shipped_countries_and_takes_seed_001s(
    served: tuple[str, Path],
) -> None:
    base, _ = served
    token = sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    with httpx.Client(base_url=base, headers=bearer(token)) as client:
        shipped = client.get("/countries").json()["items"]
        assert [(c["countryId"], c["code"], c["ruleSet"]) for c in shipped] == [
            (code, code, code) for code in ("CL", "CO", "MX", "PE", "US")
        ]
        assert shipped[3]["name"] == "Peru"
        chile = client.post("/countries", json={"countryId": "002", "name": "CHILE", "code": "CL"})
        assert chile.status_code == 201, chile.text
        assert chile.json()["ruleSet"] == "CL"
        doctor = {
            "doctorId": "doctor001",
            "name": "Dr. Lorea",
            "speciality": "Estomatolog",
            "countryId": "002",
            "availableTimes": ["Monday 10am-4pm", "Wednesday 1pm-5pm"],
        }
        assert client.post("/doctors", json=doctor).status_code == 201
        assert client.post("/countries", json=SEED_001_COUNTRY).status_code == 201
        patient = client.post(
            "/patients", content=SEED_001_PATIENT, headers={"Content-Type": "application/json"}
        )
        assert patient.status_code == 201, patient.text
        # Seed 001's appointment names country "US": the shipped record answers, so the
        # refusal is about the doctor working in Chile, not about a missing country.
        appointment = {
            "appointmentId": "appointment124",
            "patientId": "0315",
            "doctorId": "doctor001",
            "appointmentDate": "2024-10-25T10:00:00Z",
            "countryId": "US",
        }
        refused = client.post("/appointments", json=appointment)
        assert refused.status_code == 422, refused.text
        assert any(e["message"].startswith("country_mismatch") for e in refused.json()["errors"])


def test_loading_the_shipped_countries_again_adds_nothing_and_keeps_edits(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = served
    token = sign_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    with httpx.Client(base_url=base, headers=bearer(token)) as client:
        peru = client.get("/countries/PE")
        renamed = client.patch(
            "/countries/PE", json={"name": "Perú"}, headers={"If-Match": peru.headers["ETag"]}
        )
        assert renamed.status_code == 200, renamed.text
    env = {**os.environ, "CAREHUB_DATA_DIR": str(tmp_path / "data")}
    env.pop("CAREHUB_DATABASE_URL", None)
    load = subprocess.run([CAREHUB, "countries", "load"], env=env, capture_output=True, text=True)
    assert load.returncode == 0, load.stderr
    assert "none missing" in load.stderr
    with httpx.Client(base_url=base, headers=bearer(token)) as client:
        assert client.get("/countries/PE").json()["name"] == "Perú"


def test_db_upgrade_adds_the_shipped_countries_once(tmp_path: Path) -> None:
    env = {**os.environ, "CAREHUB_DATA_DIR": str(tmp_path / "data")}
    env.pop("CAREHUB_DATABASE_URL", None)
    first = subprocess.run([CAREHUB, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "shipped countries added: CL, CO, MX, PE, US" in first.stderr
    again = subprocess.run([CAREHUB, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert "shipped countries added: none missing" in again.stderr
    with sqlite3.connect(tmp_path / "data" / "carehub.db") as conn:
        rows = conn.execute("SELECT id, code, name FROM countries ORDER BY id").fetchall()
    assert rows == [
        ("CL", "CL", "Chile"),
        ("CO", "CO", "Colombia"),
        ("MX", "MX", "Mexico"),
        ("PE", "PE", "Peru"),
        ("US", "US", "United States"),
    ]
