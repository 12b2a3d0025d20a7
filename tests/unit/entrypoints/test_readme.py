"""The README stays true to the code: every route its examples and route table name exists
in the OpenAPI document, its configuration table lists exactly the settings, its command
table exactly the CLI's commands, and its links lead to files that exist."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
from starlette.routing import Route

from carehub.config import Settings
from carehub.entrypoints.cli.main import app as cli
from carehub.entrypoints.http import docs
from carehub.entrypoints.http.app import create_app

ROOT = Path(__file__).parents[3]
README = (ROOT / "README.md").read_text()
SHELL_BLOCKS = re.findall(r"```bash\n(.*?)```", README, re.S)


def app_routes() -> list[tuple[str, re.Pattern[str]]]:
    """(method, path pattern) of every operation in the OpenAPI document, and of the
    documentation pages it leaves out; a `{param}` matches one path segment."""
    paths: dict[str, dict[str, Any]] = create_app(Settings()).openapi()["paths"]
    operations = [(method, path) for path, ops in paths.items() for method in ops]
    operations += [("get", route.path) for route in docs.router.routes if isinstance(route, Route)]
    operations.append(("get", "/openapi.json"))
    return [
        (
            method.upper(),
            re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$"),
        )
        for method, path in operations
    ]


ROUTES = app_routes()


def served(method: str, path: str) -> bool:
    return any(m == method and pattern.match(path) for m, pattern in ROUTES)


def curl_calls() -> list[tuple[str, str]]:
    """(method, path) of every curl call to carehub in the README's shell blocks."""
    calls = []
    for block in SHELL_BLOCKS:
        # One command per entry: continuation lines joined, comments dropped.
        joined = re.sub(r"\\\n", " ", block)
        for line in joined.splitlines():
            command = line.split("  #")[0]
            if not re.match(r"^\s*(\w+=\$\()?curl ", command):
                continue
            url = re.search(r"(?:http://127\.0\.0\.1:8000|\$B)(/[^\s'\"?]*)", command)
            if url is None:  # the upload goes to the URL the presigned form names
                continue
            explicit = re.search(r"-X (\w+)", command)
            method = explicit.group(1) if explicit else ("POST" if " -d " in command else "GET")
            calls.append((method, url.group(1)))
    return calls


def route_table_entries() -> list[tuple[str, str]]:
    """(method, path) of the route table's rows: `GET/PATCH /users/{id}`, `{a,b}` alternatives."""
    entries = []
    for row in re.findall(r"^\| (.*?) \| .*\|$", README, re.M):
        method: list[str] = []
        for cell in re.findall(r"`([^`]+)`", row):
            spec = re.match(
                r"^((?:GET|POST|PATCH|DELETE)(?:/(?:GET|POST|PATCH|DELETE))*) (/\S*)", cell
            )
            if spec is not None:
                method, path = spec.group(1).split("/"), spec.group(2)
            elif cell.startswith("/") and method:
                path = cell  # `/auth/refresh` after `POST /auth/login` shares its method
            else:
                continue
            path = path.split("?")[0]
            choices = [c.split(",") for c in re.findall(r"\{([^}]*,[^}]*)\}", path)]
            for picked in itertools.product(*choices):
                concrete = path
                for options, choice in zip(
                    re.findall(r"\{[^}]*,[^}]*\}", path), picked, strict=True
                ):
                    concrete = concrete.replace(options, choice, 1)
                entries += [(m, concrete) for m in method]
    return entries


def test_the_examples_reach_the_routes_they_mean() -> None:
    calls = curl_calls()
    assert len(calls) > 30, "the README's curl examples were not found"
    assert [call for call in calls if not served(*call)] == []


def test_every_route_in_the_route_table_exists() -> None:
    entries = route_table_entries()
    assert len(entries) > 40, "the README's route table was not found"
    assert [entry for entry in entries if not served(*entry)] == []


def test_the_configuration_table_lists_exactly_the_settings() -> None:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(CAREHUB_[A-Z0-9_]+)`", section))
    settings = {f"CAREHUB_{name.upper()}" for name in Settings.model_fields}
    assert documented - settings == set(), "documented but not a setting"
    assert settings - documented == set(), "a setting missing from the README"


def test_the_command_table_lists_exactly_the_commands() -> None:
    section = README.split("### Commands", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `carehub ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", section, re.M))

    def names(group: Any, prefix: str = "") -> set[str]:
        found = set()
        for name, command in group.commands.items():
            if hasattr(command, "commands"):  # a group of subcommands
                found |= names(command, f"{prefix}{name} ")
            else:
                found.add(f"{prefix}{name}")
        return found

    assert documented == names(typer.main.get_command(cli))


@pytest.mark.parametrize("link", sorted(set(re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)", README))))
def test_links_lead_to_files_that_exist(link: str) -> None:
    assert (ROOT / link).is_file()
