"""`carehub export fhir` as a real process: a country's patients (and the country) as FHIR
NDJSON files in a private folder, each line a valid R4B resource, with a progress line;
`--type` and `--since` narrow it; what it does not serve stops it with one line."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from carehub.adapters.sql.sqlite import SqliteDatabase, sqlite_path
from carehub.bootstrap import units_of_work
from carehub.kernel.clock import SystemClock
from carehub.patients.model import CodedEntry
from tests.contract.patient_records import person
from tests.support.countries import add_shipped_countries
from tests.support.fhir_checks import validated
from tests.support.services import fixed_secret_box, fresh_sqlite

CAREHUB = str(Path(sys.executable).with_name("carehub"))
DIABETES = CodedEntry(code="44054006", system="http://snomed.info/sct", display="Diabetes")
PERU = [person("Killa Mamani", conditions=(DIABETES,)), person("Inti Condori")]
CHILE = person("Sisa Apaza", country="CL")


async def seed(url: str) -> None:
    db = SqliteDatabase(sqlite_path(url))
    try:
        new_uow = units_of_work(db, SystemClock(), secrets=fixed_secret_box())
        await add_shipped_countries(new_uow, SystemClock())
        async with new_uow() as uow:
            for patient in [*PERU, CHILE]:
                await uow.patients.add(patient)
            await uow.commit()
    finally:
        await db.close()


def carehub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CAREHUB, *args], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def read(folder: Path) -> dict[str, list[dict[str, object]]]:
    """Each file's resources, every line checked as a valid R4B resource of its type."""
    found: dict[str, list[dict[str, object]]] = {}
    for path in sorted(folder.glob("*.ndjson")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        resource_type = path.name.split("-")[0]
        for line in path.read_text().splitlines():
            resource = validated(json.loads(line))
            assert resource["resourceType"] == resource_type
            found.setdefault(path.name, []).append(resource)
    return found


def test_a_country_exported_into_a_folder(sqlite_template: Path, tmp_path: Path) -> None:
    url = fresh_sqlite(sqlite_template, tmp_path)
    env = {"CAREHUB_DATABASE_URL": url, "CAREHUB_DATA_DIR": str(tmp_path)}
    asyncio.run(seed(url))
    out = tmp_path / "export"

    done = carehub(env, "export", "fhir", "--group", "PE", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "patients" in done.stderr.splitlines()[0]  # the progress line's label
    assert "Patient-1.ndjson: 2 resources" in done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    found = read(out)
    assert set(found) == {
        "Patient-1.ndjson",
        "Condition-1.ndjson",
        "Organization-1.ndjson",
        "Location-1.ndjson",
    }
    assert sorted(str(p["id"]) for p in found["Patient-1.ndjson"]) == sorted(p.id for p in PERU)
    assert [c["subject"] for c in found["Condition-1.ndjson"]] == [
        {"reference": f"Patient/{PERU[0].id}"}
    ]
    assert [o["id"] for o in found["Organization-1.ndjson"]] == ["PE"]

    again = carehub(env, "export", "fhir", "--out", str(out))
    assert again.returncode == 1 and "empty folder" in again.stderr


def test_type_and_since_narrow_the_export(sqlite_template: Path, tmp_path: Path) -> None:
    url = fresh_sqlite(sqlite_template, tmp_path)
    env = {"CAREHUB_DATABASE_URL": url, "CAREHUB_DATA_DIR": str(tmp_path)}
    asyncio.run(seed(url))

    every = carehub(env, "export", "fhir", "--type", "Patient", "--out", str(tmp_path / "all"))
    assert every.returncode == 0, every.stderr
    assert len(read(tmp_path / "all")["Patient-1.ndjson"]) == 3
    later = ["--since", "2030-01-01T00:00:00Z", "--out", str(tmp_path / "later")]
    since = carehub(env, "export", "fhir", "--type", "Patient,Location", *later)
    assert since.returncode == 0, since.stderr
    assert read(tmp_path / "later") == {}

    refused = carehub(env, "export", "fhir", "--type", "Observation", "--out", str(tmp_path / "x"))
    assert refused.returncode == 1 and "_type" in refused.stderr
    unknown = carehub(env, "export", "fhir", "--group", "ZZ", "--out", str(tmp_path / "y"))
    assert unknown.returncode == 1 and "ZZ does not exist" in unknown.stderr
