"""Every statement the SQL adapters prepare compiles to SQL both databases can run: the
statements are compiled once, without values, so a parameter SQLAlchemy would only
expand at execution (a literal list in `in_`) reaches the database as a placeholder."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import carehub.adapters.sql as sql_package
from carehub.adapters.sql.database import Statement
from carehub.adapters.sql.postgres import _POSTGRES_DIALECT
from carehub.adapters.sql.sqlite import _SQLITE_DIALECT


def prepared_statements() -> list[tuple[str, Statement]]:
    found = []
    for module_info in pkgutil.iter_modules(sql_package.__path__):
        module = importlib.import_module(f"{sql_package.__name__}.{module_info.name}")
        found += [
            (f"{module_info.name}.{name}", value)
            for name, value in vars(module).items()
            if isinstance(value, Statement)
        ]
    return found


STATEMENTS = prepared_statements()


def test_the_adapters_prepare_statements() -> None:
    found = dict(STATEMENTS)
    assert "holds._LAPSED" in found
    assert {"files._READY_PAGE", "files._INSERT_KEY_UNLESS_PRESENT", "stamps._HISTORY_SQLITE"} <= (
        found.keys()
    )


@pytest.mark.parametrize(
    "dialect", [_SQLITE_DIALECT, _POSTGRES_DIALECT], ids=["sqlite", "postgres"]
)
@pytest.mark.parametrize(("name", "statement"), STATEMENTS, ids=[n for n, _ in STATEMENTS])
def test_no_statement_leaves_a_parameter_to_expand(
    name: str, statement: Statement, dialect: object
) -> None:
    assert "POSTCOMPILE" not in statement.compiled(dialect).sql  # type: ignore[arg-type]
