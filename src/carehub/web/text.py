"""Rules for the text of request bodies: strict strings, no control characters, NFC.

Every string field of a request body carries one of these, placed after its length
constraints: `Annotated[str, StringConstraints(max_length=100), ONE_LINE]`.

- `ONE_LINE`: names of things, addresses, codes, ids, emails. No control character at all
  (NUL, escapes, tab, CR, LF, C1), no line or paragraph separator, no lone surrogate.
- `MANY_LINES`: notes and reasons. As `ONE_LINE`, but new lines and tabs are kept.
- `NAME`: a person's, a place's or a file's name, shown to others. As `ONE_LINE`, and no
  bidirectional embedding, override or isolate (U+202A-U+202E, U+2066-U+2069), which can
  make a name read as something else ("scan<RLO>gpj.exe" shows as "scanexe.jpg").
- `OPAQUE`: passwords, tokens and secrets, compared byte for byte: strict, never changed.

Each refuses a non-string (no coercion from numbers or booleans) and stores the text in
Unicode NFC, so a name typed with combining accents matches one typed precomposed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, Strict
from pydantic_core import PydanticCustomError

_SURROGATES = "\ud800-\udfff"
_ONE_LINE_REFUSED = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_SURROGATES}]")
_MANY_LINES_REFUSED = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_SURROGATES}]")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
ONE_LINE_MESSAGE = "must be one line without control characters"


def _nfc(value: str) -> str:
    if value.isascii() or unicodedata.is_normalized("NFC", value):
        return value
    return unicodedata.normalize("NFC", value)


def is_one_line(value: str) -> bool:
    """Whether `value` holds no control character and no line break."""
    return _ONE_LINE_REFUSED.search(value) is None


def one_line(value: str) -> str:
    """`value` in NFC; refused when it holds a control character or a line break."""
    if not is_one_line(value):
        raise PydanticCustomError("control_character", ONE_LINE_MESSAGE)
    return _nfc(value)


def many_lines(value: str) -> str:
    """`value` in NFC; refused when it holds a control character other than LF and tab."""
    if _MANY_LINES_REFUSED.search(value):
        raise PydanticCustomError(
            "control_character", "must not contain control characters (only new lines and tabs)"
        )
    return _nfc(value)


def name(value: str) -> str:
    """`value` as `one_line`, refused when it holds a bidirectional control."""
    if _BIDI_CONTROLS.search(value):
        raise PydanticCustomError(
            "bidi_control", "must not contain bidirectional override or isolate characters"
        )
    return one_line(value)


def opaque(value: str) -> str:
    """`value` unchanged: a secret is compared as sent."""
    return value


class TextRule(GroupedMetadata):
    """A strict string checked (and normalised) by `check`."""

    __slots__ = ("check",)

    def __init__(self, check: Callable[[str], str]) -> None:
        self.check = check

    def __iter__(self) -> Iterator[Any]:
        yield Strict()
        yield AfterValidator(self.check)

    def __repr__(self) -> str:
        return f"TextRule({self.check.__name__})"


ONE_LINE = TextRule(one_line)
MANY_LINES = TextRule(many_lines)
NAME = TextRule(name)
OPAQUE = TextRule(opaque)
TEXT_RULES = frozenset({one_line, many_lines, name, opaque})
"""The checks of the rules above, for tests that look for them in a model's schema."""
