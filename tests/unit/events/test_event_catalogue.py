"""The event catalogue in the docs is the one the code generates, and payloads carry ids
and codes only."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from typing import get_type_hints

import pytest

import carehub
from carehub.bootstrap.event_types import EVENT_TYPES
from carehub.entrypoints.cli.event_catalogue import catalogue, payload_schema
from carehub.kernel.events import DomainEvent, catalogue_of

DOCS = Path(__file__).parents[3] / "docs" / "events.md"
# Payload fields may be ids, codes, versions and field names; anything else (a name, an
# email, a note) needs a deliberate decision here first.
# A file's kind and MIME type are codes from closed lists (the upload allow-list). A task's
# priority is a code, its due time a time and `assignedTo` a user id; a checklist's
# `remaining` counts its unchecked required items; an export's `step` counts its steps.
ALLOWED = re.compile(
    r"[a-z]+Id|role|status|category|version|changedFields|action|start|end|kind|mimeType"
    r"|priority|dueAt|assignedTo|remaining|step"
)


def test_the_docs_hold_the_catalogue_the_code_generates() -> None:
    assert DOCS.read_text() == catalogue(), "run: carehub events catalogue > docs/events.md"


def test_every_event_type_is_versioned_and_named_by_its_domain() -> None:
    assert EVENT_TYPES
    for name in EVENT_TYPES:
        assert re.fullmatch(r"[a-z]+\.[a-z_]+\.v[0-9]+", name), name


def test_payloads_carry_ids_and_codes_only() -> None:
    for name, event in EVENT_TYPES.items():
        fields = payload_schema(event)["properties"]
        assert fields, name
        for field in fields:
            assert ALLOWED.fullmatch(field), f"{name}.{field}"


def test_payload_types_are_declared_for_the_catalogue() -> None:
    for name, event in EVENT_TYPES.items():
        assert "return" in get_type_hints(event.payload), name


def _declared_event_types() -> set[type[DomainEvent]]:
    """Every concrete event class in carehub's modules (a shared base declares no type)."""
    for module in pkgutil.walk_packages(carehub.__path__, "carehub."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found: set[type[DomainEvent]] = set()
    pending = list(DomainEvent.__subclasses__())
    while pending:
        event = pending.pop()
        pending += event.__subclasses__()
        if "event_type" in event.__dict__ and event.__module__.startswith("carehub."):
            found.add(event)
    return found


def test_the_catalogue_lists_every_event_a_domain_declares() -> None:
    declared = _declared_event_types()
    assert declared
    assert declared == set(EVENT_TYPES.values())


def test_a_type_name_declared_twice_is_refused() -> None:
    first, second = list(EVENT_TYPES.values())[:2]
    renamed = type("Renamed", (second,), {"event_type": first.event_type})
    with pytest.raises(TypeError, match="declared twice"):
        catalogue_of(first, renamed)
