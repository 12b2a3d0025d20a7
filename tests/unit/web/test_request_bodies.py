"""Every request body the app takes is strict and checks its text: no field is left out.

The walk goes through each body model's pydantic core schema, so a field added tomorrow
without a text rule, or as a plain `int` or `bool`, fails here before it reaches a client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from carehub.config import Settings
from carehub.entrypoints.http.app import create_app
from carehub.patients.schemas import PatientCreate
from carehub.web.text import TEXT_RULES

SCALARS = {"str", "int", "bool", "float"}
# Keys of the core schema that are its structure, not the names of fields.
STRUCTURE = {
    "schema",
    "fields",
    "choices",
    "items_schema",
    "keys_schema",
    "values_schema",
    "definitions",
    "default",
    "function",
    "steps",
}


def body_models(tmp_path: Path) -> dict[str, type[BaseModel]]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'carehub.db'}"))
    models: dict[str, type[BaseModel]] = {}
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or context.body_field is None:
            continue
        for kind in _types(context.body_field.field_info.annotation):
            models[kind.__name__] = kind
    return models


def _types(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [t for arg in getattr(annotation, "__args__", ()) for t in _types(arg)]


def loose_scalars(node: Any, path: str = "", checked: bool = False) -> list[str]:
    """Where `node` holds a non-strict scalar, or a string no text rule checks."""
    found: list[str] = []
    if isinstance(node, list):
        for i, item in enumerate(node):
            found += loose_scalars(item, f"{path}[{i}]")
    elif isinstance(node, dict):
        kind = node.get("type")
        if kind in SCALARS and not node.get("strict"):
            found.append(f"{path}: {kind} is not strict")
        if kind == "str" and not checked:
            found.append(f"{path}: str has no text rule")
        ruled = kind == "function-after" and node["function"]["function"] in TEXT_RULES
        for key, value in node.items():
            if key in ("metadata", "cls", "config", "ref"):
                continue
            where = path if key in STRUCTURE else f"{path}.{key}"
            found += loose_scalars(value, where, ruled and key == "schema")
    return found


def test_the_app_takes_bodies(tmp_path: Path) -> None:
    assert {"PatientCreate", "DoctorCreate", "SignupRequest"} <= set(body_models(tmp_path))


def test_every_body_field_is_strict_and_checks_its_text(tmp_path: Path) -> None:
    loose = {
        name: loose_scalars(model.__pydantic_core_schema__)
        for name, model in sorted(body_models(tmp_path).items())
    }
    assert {name: paths for name, paths in loose.items() if paths} == {}


@pytest.mark.parametrize("value", [True, "1", 1.0])
def test_an_int_field_takes_only_an_int(tmp_path: Path, value: object) -> None:
    with pytest.raises(ValueError, match="age"):
        PatientCreate.model_validate({"countryId": "PE", "name": "Ana Diaz", "age": value})
