"""One moto server for the whole test session, shared by every test that talks to AWS."""

from __future__ import annotations

import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.support.moto_process import SENT_SMS_PATH
from tests.support.services import unavailable

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parents[2]  # where `tests.support` can be imported


@contextmanager
def moto_process(log_path: Path) -> Iterator[str]:
    """A moto server on a free loopback port, in a process of its own
    (`tests.support.moto_process`), until the block ends; its endpoint. Its output goes to
    `log_path`. Used by the test session and by `make bench-dynamodb`."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.moto_process"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
    try:
        try:
            endpoint = f"http://127.0.0.1:{_announced_port(process)}"
            httpx.get(f"{endpoint}{SENT_SMS_PATH}", timeout=5).raise_for_status()
        except Exception as exc:
            raise RuntimeError(f"{exc}; its log: {log_path}") from exc
        yield endpoint
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's moto server (`moto_process`); its output goes to `moto.log` in the
    session's temporary folder."""
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    try:
        server = moto_process(log_path)
        endpoint = server.__enter__()
    except Exception as exc:
        unavailable("moto server", exc)
        raise
    try:
        yield endpoint
    finally:
        server.__exit__(None, None, None)


def _announced_port(process: subprocess.Popen[bytes]) -> int:
    """The port the server writes once it listens (a read that waits 30 s at most)."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 30)
    line = process.stdout.readline() if ready else b""
    if not line.strip().isdigit():
        raise RuntimeError(f"moto did not start (exit status {process.poll()})")
    return int(line)


def _stop(process: subprocess.Popen[bytes]) -> None:
    # Closing its standard input is what ends it; terminate in case it hangs.
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def aws_client(service: str, endpoint: str) -> Any:
    """A boto3 client for one service of the moto server."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",  # moto accepts any credentials
        aws_secret_access_key="testing",
    )
