"""Every CLI command that needs the database, run on one that cannot serve it yet, says so in
one line and exits non-zero instead of printing a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import free_port
from tests.support.services import fresh_postgres_database

CAREHUB = str(Path(sys.executable).with_name("carehub"))

COMMANDS_NEEDING_THE_DATABASE = [
    ["users", "create-admin", "--email", "first@clinic.example", "--password", "a long passphrase"],
    ["audit", "verify"],
    ["keys", "rotate"],
    ["events", "dead-letters"],
    ["timeline", "rebuild"],
    ["search", "reindex"],
    ["demo", "--patients", "1"],
    ["serve", "--port", "{port}"],
    ["worker", "--port", "{port}"],
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def never_migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a fresh data folder whose database `db upgrade` never touched."""
    env = {**os.environ, "CAREHUB_DATA_DIR": str(tmp_path / "data")}
    env.pop("CAREHUB_DATABASE_URL", None)
    if request.param == "sqlite":
        yield env
        return
    with fresh_postgres_database(migrated=False) as url:
        yield {**env, "CAREHUB_DATABASE_URL": url}


def carehub(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = [arg.format(port=free_port()) for arg in args]
    return subprocess.run(
        [CAREHUB, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def assert_one_line_naming_the_upgrade(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "run `carehub db upgrade`" in lines[0]
    return lines[0]


@pytest.mark.parametrize("args", COMMANDS_NEEDING_THE_DATABASE, ids=lambda a: " ".join(a[:2]))
def test_a_database_never_migrated_is_named_in_one_line(
    args: list[str], never_migrated: dict[str, str]
) -> None:
    line = assert_one_line_naming_the_upgrade(carehub(args, never_migrated))
    assert "not set up" in line


def test_the_commands_work_once_the_database_is_upgraded(never_migrated: dict[str, str]) -> None:
    assert carehub(["db", "upgrade"], never_migrated).returncode == 0
    created = carehub(COMMANDS_NEEDING_THE_DATABASE[0], never_migrated)
    assert created.returncode == 0, created.stderr
    assert "created admin first@clinic.example" in created.stderr


def test_a_database_behind_this_carehub_names_both_revisions(tmp_path: Path) -> None:
    env = {**os.environ, "CAREHUB_DATA_DIR": str(tmp_path / "data")}
    env.pop("CAREHUB_DATABASE_URL", None)
    assert carehub(["db", "upgrade", "0007"], env).returncode == 0
    line = assert_one_line_naming_the_upgrade(carehub(["audit", "verify"], env))
    assert "at revision 0007" in line


@pytest.mark.postgres
def test_a_database_that_does_not_exist_is_named_in_one_line(tmp_path: Path) -> None:
    with fresh_postgres_database(migrated=False) as url:
        missing = url.rsplit("/", 1)[0] + "/carehub_never_created"
    env = {
        **os.environ,
        "CAREHUB_DATA_DIR": str(tmp_path / "data"),
        "CAREHUB_DATABASE_URL": missing,
    }
    result = carehub(
        ["users", "create-admin", "--email", "a@b.example", "--password", "x" * 12], env
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("carehub: cannot open the database: ")
    assert 'database "carehub_never_created" does not exist' in line


def unreachable_databases(tmp_path: Path) -> list[tuple[dict[str, str], str]]:
    """Environments naming a database carehub cannot reach, each with what its line says."""
    closed = f"127.0.0.1:{free_port()}"
    base = {**os.environ, "CAREHUB_DATA_DIR": str(tmp_path / "data")}
    no_aws_credentials = {
        key: value for key, value in base.items() if not key.startswith("AWS_")
    } | {
        "HOME": str(tmp_path),  # no ~/.aws either
        "AWS_EC2_METADATA_DISABLED": "true",
        "CAREHUB_DATABASE_URL": "dynamodb://carehub?region=us-east-1",
        "CAREHUB_AWS_ENDPOINT_URL": f"http://{closed}",
    }
    return [
        (base | {"CAREHUB_DATABASE_URL": f"postgresql://carehub@{closed}/test"}, "refused"),
        (no_aws_credentials, "Unable to locate credentials"),
        (no_aws_credentials | {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, closed),
    ]


@pytest.mark.parametrize("args", [["db", "upgrade"], ["db", "current"]], ids=" ".join)
def test_a_database_out_of_reach_is_named_in_one_line(args: list[str], tmp_path: Path) -> None:
    for env, cause in unreachable_databases(tmp_path):
        result = carehub(args, env)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr + result.stdout
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("carehub: cannot open the database: ")
        assert cause in line
