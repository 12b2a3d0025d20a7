"""The `adapter` fixture of the suites whose port has a DynamoDB adapter too: a suite takes
it by importing `every_adapter`, which then stands in for conftest's `adapter`."""

from __future__ import annotations

import pytest

from tests.contract.conftest import WITH_DYNAMODB


@pytest.fixture(params=WITH_DYNAMODB, name="adapter")
def every_adapter(request: pytest.FixtureRequest) -> str:
    """Every adapter, DynamoDB included."""
    name: str = request.param
    return name
