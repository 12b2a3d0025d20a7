"""The event catalogue in the docs is the one the code generates, and payloads carry ids
and codes only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_type_hints

from carehub.entrypoints.cli.event_catalogue import catalogue, payload_schema
from carehub.kernel.events import event_types

DOCS = Path(__file__).parents[3] / "docs" / "events.md"
# Payload fields may be ids, codes, versions and field names; anything else (a name, an
# email, a note) needs a deliberate decision here first.
# A file's kind and MIME type are codes from closed lists (the upload allow-list).
ALLOWED = re.compile(
    r"[a-z]+Id|role|status|category|version|changedFields|action|start|end|kind|mimeType"
)


def test_the_docs_hold_the_catalogue_the_code_generates() -> None:
    assert DOCS.read_text() == catalogue(), "run: carehub events catalogue > docs/events.md"


def test_every_event_type_is_versioned_and_named_by_its_domain() -> None:
    assert event_types()
    for name in event_types():
        assert re.fullmatch(r"[a-z]+\.[a-z_]+\.v[0-9]+", name), name


def test_payloads_carry_ids_and_codes_only() -> None:
    for name, event in event_types().items():
        fields = payload_schema(event)["properties"]
        assert fields, name
        for field in fields:
            assert ALLOWED.fullmatch(field), f"{name}.{field}"


def test_payload_types_are_declared_for_the_catalogue() -> None:
    for name, event in event_types().items():
        assert "return" in get_type_hints(event.payload), name
