"""How the clinical record's items and templates are kept as JSON, by every store.

One pydantic adapter per type turns the domain's frozen dataclasses into carehub's JSON
(enums as their values, times as ISO 8601, doses as decimal strings) and back. They are
built on first use: most processes never touch most kinds.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter

from carehub.clinical.checklists import ChecklistTemplate

T = TypeVar("T")


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(kind: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def to_json(value: object) -> dict[str, Any]:
    """An item or a template as a JSON object."""
    data: dict[str, Any] = _adapter(type(value)).dump_python(value, mode="json")
    return data


def from_json(kind: type[T], data: Any) -> T:
    """The item or template of type `kind` that `to_json` made `data` from."""
    found: T = _adapter(kind).validate_python(data)
    return found


def template_from(data: Any) -> ChecklistTemplate:
    return from_json(ChecklistTemplate, data)
