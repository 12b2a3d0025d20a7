"""`carehub import fhir` as a real process on a SQLite database: the SMART Synthea folder
imported with a progress bar and a table of counts per resource type; a file that is not a
bundle is named, and the command says it failed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.services import fresh_sqlite
from tests.support.shared_data import shared_data

CAREHUB = str(Path(sys.executable).with_name("carehub"))


def carehub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CAREHUB, *args], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def row(table: str, resource_type: str) -> list[str]:
    """A row of the printed table: its cells, the resource type first."""
    for line in table.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line) if c.strip()]
        if cells and cells[0] == resource_type:
            return cells
    raise AssertionError(f"no {resource_type} row in:\n{table}")


def test_the_smart_synthea_folder_is_imported(sqlite_template: Path, tmp_path: Path) -> None:
    folder = shared_data("synthea", "smart-on-fhir-r4-synthea")
    url = fresh_sqlite(sqlite_template, tmp_path)
    env = {"CAREHUB_DATABASE_URL": url, "CAREHUB_DATA_DIR": str(tmp_path), "COLUMNS": "120"}

    done = carehub(env, "import", "fhir", str(folder))
    assert done.returncode == 0, done.stderr
    assert "30 patients imported, 0 already present" in done.stdout
    assert row(done.stdout, "Patient")[1:] == ["30", "0", "0", "0", "0"]
    assert row(done.stdout, "Condition")[1:] == ["130", "0", "0", "115", "0"]
    assert row(done.stdout, "Observation")[1:] == ["0", "0", "0", "4938", "0"]
    assert "carehub does not keep Observation" in done.stdout
    assert "10387 resources from 32 files" in done.stdout
    assert "10387/10387" in done.stderr  # the progress bar, at its end

    again = carehub(
        env,
        "import",
        "fhir",
        "--not-kept",
        str(folder / "Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json"),
    )
    assert again.returncode == 0, again.stderr
    assert "0 patients imported, 1 already present" in again.stdout
    assert "Patient.maritalStatus" in again.stdout  # given, not kept: information


def test_a_file_that_is_not_a_bundle_is_named_and_the_command_fails(
    sqlite_template: Path, tmp_path: Path
) -> None:
    url = fresh_sqlite(sqlite_template, tmp_path)
    env = {"CAREHUB_DATABASE_URL": url, "CAREHUB_DATA_DIR": str(tmp_path), "COLUMNS": "120"}
    bundles = tmp_path / "bundles"
    bundles.mkdir()
    (bundles / "broken.json").write_text("{not json")
    (bundles / "patient.json").write_text('{"resourceType": "Patient"}')
    done = carehub(env, "import", "fhir", str(bundles))
    assert done.returncode == 1
    assert "failed: broken.json" in done.stdout
    assert "not a JSON document" in done.stdout
    assert "failed: patient.json" in done.stdout
    assert "resourceType" in done.stdout
