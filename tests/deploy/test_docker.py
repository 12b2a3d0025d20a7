"""The container files name only what carehub has: every command a container runs is a
real CLI command, every CAREHUB_* variable a real setting, every probe a real route, and
the compose services reach each other where carehub's settings point. (No Docker daemon
runs these tests: docs/docker.md says what was exercised beyond them.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer.main
import yaml

from carehub.config import Settings
from carehub.entrypoints.cli.main import app as cli
from carehub.entrypoints.http.app import create_app
from carehub.entrypoints.worker import create_worker_app

ROOT = Path(__file__).parents[2]
DOCKERFILE = (ROOT / "deploy/docker/Dockerfile").read_text()
COMPOSE_TEXT = (ROOT / "deploy/docker/compose.yaml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
CAREHUB_SERVICES = ["migrate", "bucket", "api", "worker"]
# What the operator's .env gives the interpolations (`${NAME:?...}` must be set there).
ENV_FILE_VALUES = {"POSTGRES_PASSWORD": "p4ssw0rd", "CAREHUB_SECRET_KEY": "A" * 43 + "="}


def interpolated(value: str) -> str:
    """Compose's `${NAME:?error}` and `${NAME:-default}`, with the .env values above."""

    def one(match: re.Match[str]) -> str:
        name, kind, fallback = match.group(1), match.group(2), match.group(3)
        if name in ENV_FILE_VALUES:
            return ENV_FILE_VALUES[name]
        assert kind == ":-", f"{name} is required but .env gives it no value here"
        return fallback

    return re.sub(r"\$\{(\w+)(:[?-])([^}]*)\}", one, value)


def environment(service: str) -> dict[str, str]:
    return {name: interpolated(str(v)) for name, v in SERVICES[service]["environment"].items()}


def cli_command(argv: list[str]) -> str:
    """The name of the CLI command argv runs, once its options parse (parsing raises a
    usage error for an unknown option or argument)."""
    assert argv[0] == "carehub"
    command: Any = typer.main.get_command(cli)
    args, names = argv[1:], []
    while hasattr(command, "commands"):  # a group of subcommands
        name, *args = args
        assert name in command.commands, f"carehub has no command {' '.join([*names, name])}"
        command, names = command.commands[name], [*names, name]
    command.make_context(" ".join(names), list(args))
    return " ".join(names)


def probed(test: list[str]) -> tuple[int, str]:
    """(port, path) a Python urllib health check asks."""
    url = re.search(r"http://127\.0\.0\.1:(\d+|' \+ [^+]+\+ ')(/[\w/]+)", " ".join(test))
    assert url is not None, test
    port = url.group(1)
    return (int(port) if port.isdigit() else Settings().port), url.group(2)


def routes(app: Any) -> set[str]:
    return set(app.openapi()["paths"])


def test_the_image_serves_carehub_by_default_as_a_user_of_its_own() -> None:
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.M)
    assert cmd is not None
    assert json.loads(cmd.group(1)) == ["carehub", "serve", "--host", "0.0.0.0"]
    assert cli_command(json.loads(cmd.group(1))) == "serve"
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.M)
    assert base is not None and re.fullmatch(r"python:3\.11-slim[\w.-]*", base.group(1))
    assert re.findall(r"^FROM \$\{PYTHON_IMAGE\} AS (\w+)$", DOCKERFILE, re.M) == [
        "builder",
        "runtime",
    ]
    runtime = DOCKERFILE.split("AS runtime", 1)[1]
    assert re.search(r"^USER 10001:10001$", runtime, re.M)
    assert "apt-get" not in DOCKERFILE  # no build tools anywhere, least of all at runtime
    env = dict(re.findall(r"(CAREHUB_\w+)=(\S+)", runtime))
    assert set(env) <= {f"CAREHUB_{name.upper()}" for name in Settings.model_fields}


def test_the_image_health_check_asks_a_route_carehub_serves() -> None:
    check = re.search(r"^\s+CMD (\[.*\])$", DOCKERFILE.split("HEALTHCHECK", 1)[1], re.M)
    assert check is not None
    port, path = probed(json.loads(check.group(1)))
    assert (port, path) == (Settings().port, "/health/live")
    assert path in routes(create_app(Settings()))


def test_compose_runs_the_services_carehub_needs() -> None:
    assert set(SERVICES) == {*CAREHUB_SERVICES, "postgres", "redis", "moto"}
    assert SERVICES["moto"]["image"].startswith("motoserver/moto:")
    for name in CAREHUB_SERVICES:
        assert SERVICES[name]["env_file"] == "../../.env"
    assert cli_command(SERVICES["migrate"]["command"]) == "db upgrade"
    assert cli_command(SERVICES["api"]["command"]) == "serve"
    assert cli_command(SERVICES["worker"]["command"]) == "worker"


@pytest.mark.parametrize("service", CAREHUB_SERVICES)
def test_each_carehub_service_sets_real_settings_that_point_at_the_services(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = environment(service)
    known = {f"CAREHUB_{name.upper()}" for name in Settings.model_fields}
    assert {name for name in env if name.startswith("CAREHUB_")} <= known
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    database = urlsplit(settings.resolved_database_url)
    postgres = SERVICES["postgres"]["environment"]
    assert (database.scheme, database.hostname, database.port) == ("postgresql", "postgres", 5432)
    assert database.username == postgres["POSTGRES_USER"]
    assert database.path == f"/{postgres['POSTGRES_DB']}"
    assert database.password == ENV_FILE_VALUES["POSTGRES_PASSWORD"]
    assert postgres["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"
    assert urlsplit(settings.cache_url or "").netloc == "redis:6379"
    assert settings.broker_url.startswith("sqs://")
    assert urlsplit(settings.aws_endpoint_url or "").netloc == "moto:5000"
    assert settings.secret_key is not None
    bucket = urlsplit(settings.storage_url).netloc
    assert f"Bucket='{bucket}'" in SERVICES["bucket"]["command"][-1]


def test_the_health_checks_ask_routes_the_processes_serve() -> None:
    settings = Settings()
    assert probed(SERVICES["api"]["healthcheck"]["test"]) == (settings.port, "/health/ready")
    assert "/health/ready" in routes(create_app(settings))
    worker = probed(SERVICES["worker"]["healthcheck"]["test"])
    assert worker == (settings.worker_port, "/health/ready")
    assert "/health/ready" in routes(create_worker_app(settings))


def test_the_processes_start_once_the_schema_the_bucket_and_the_services_are_there() -> None:
    for name in ("api", "worker"):
        depends = {k: v["condition"] for k, v in SERVICES[name]["depends_on"].items()}
        assert depends == {
            "migrate": "service_completed_successfully",
            "bucket": "service_completed_successfully",
            "postgres": "service_healthy",
            "redis": "service_healthy",
            "moto": "service_healthy",
        }
    for name, service in SERVICES.items():
        for other, how in service.get("depends_on", {}).items():
            if how["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[other], f"{name} waits on {other}'s health"


def test_env_example_names_real_settings_and_what_compose_requires() -> None:
    example = (ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#? ?(CAREHUB_\w+)=", example, re.M))
    assert named <= {f"CAREHUB_{name.upper()}" for name in Settings.model_fields}
    assert len(named) > 20
    for required in set(re.findall(r"\$\{(\w+):\?", COMPOSE_TEXT)):
        assert re.search(rf"^# {required}=", example, re.M), f"{required} is not in .env.example"
