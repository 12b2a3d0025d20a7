"""`carehub serve` starts with one human line: where it listens, its docs, its data folder,
and the first step while no admin exists."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.support.server import free_port

CAREHUB = str(Path(sys.executable).with_name("carehub"))


def start_line_of_serve(env: dict[str, str], port: int, stderr_path: Path) -> str:
    """Start `carehub serve`, wait until it answers, stop it; its one non-JSON stderr line."""
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [CAREHUB, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, stderr_path.read_text()
                assert time.monotonic() < deadline, "carehub serve did not become ready"
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
    human = [line for line in stderr_path.read_text().splitlines() if not line.startswith("{")]
    assert len(human) == 1, human
    return human[0]


def test_serve_says_where_it_listens_and_how_to_create_the_first_admin(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "CAREHUB_DATA_DIR": str(data)}
    for name in ("CAREHUB_DATABASE_URL", "CAREHUB_BOOTSTRAP_ADMIN_EMAIL"):
        env.pop(name, None)
    subprocess.run([CAREHUB, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    first = start_line_of_serve(env, port, tmp_path / "first.log")
    assert f"{base} " in first
    assert f"{base}/docs" in first
    assert str(data.resolve()) in first
    assert f"{CAREHUB} users create-admin --email" in first

    admin = [CAREHUB, "users", "create-admin", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD]
    subprocess.run(admin, env=env, check=True, capture_output=True)
    later = start_line_of_serve(env, port, tmp_path / "later.log")
    assert f"{base}/docs" in later
    assert "create-admin" not in later
