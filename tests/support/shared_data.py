"""The test data shared beside the repository (Synthea bundles, the FHIR specification's
examples): `shared/data` in the repository's parent folder, never copied into it."""

from __future__ import annotations

from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """A file or folder of the shared data; the test is skipped where it is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"the shared test data is not at {path}")
    return path
