"""The test data shared beside the repository (Synthea bundles, the FHIR specification's
examples): `shared/data` in the repository's parent folder, never copied into it."""

from __future__ import annotations

from pathlib import Path

from tests.support.services import unavailable

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """A file or folder of the shared data; where it is not there the test is skipped, and
    fails under CI (a CI run never passes by skipping)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        unavailable("the shared test data", FileNotFoundError(str(path)))
    return path
