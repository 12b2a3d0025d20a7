"""`dynamodb://TABLE?region=REGION`: what it names, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from carehub.adapters.dynamodb.url import DynamoTarget, parse_dynamodb_url
from carehub.bootstrap import connect
from carehub.config import Settings


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("dynamodb://carehub?region=us-east-1", DynamoTarget("carehub", "us-east-1")),
        ("dynamodb://clinic.prod-2_a/", DynamoTarget("clinic.prod-2_a", None)),
    ],
)
def test_a_url_names_the_table_and_region(url: str, target: DynamoTarget) -> None:
    assert parse_dynamodb_url(url) == target


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://carehub", "dynamodb://TABLE"),
        ("dynamodb://ab?region=us-east-1", "3 to 255"),
        ("dynamodb://car hub", "3 to 255"),
        ("dynamodb://carehub/patients", "dynamodb://TABLE"),
        ("dynamodb://carehub?regoin=us-east-1", "unknown option 'regoin'"),
        ("dynamodb://carehub?region=", "region is empty"),
    ],
)
def test_anything_else_is_refused_saying_what_is_expected(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_dynamodb_url(url)


async def test_a_table_is_not_opened_as_a_sql_database(tmp_path: Path) -> None:
    """`connect` opens SQL databases; a table is opened by `open_store`, as `build` does."""
    url = "dynamodb://carehub?region=us-east-1"
    with pytest.raises(ValueError, match="names a table, not a SQL database"):
        await connect(url, Settings(database_url=url, data_dir=tmp_path))
