"""The text rules of request bodies: what each refuses, keeps and normalises."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import StringConstraints, TypeAdapter, ValidationError

from carehub.web.text import MANY_LINES, NAME, ONE_LINE, OPAQUE, TextRule

CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\ud800", "\udfff"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def rule(text_rule: TextRule) -> TypeAdapter[str]:
    return TypeAdapter(Annotated[str, StringConstraints(max_length=50), text_rule])


@pytest.mark.parametrize("bad", [*CONTROLS, "\n", "\r", "\t", "\x0b", "\x0c", "\u2028", "\u2029"])
def test_one_line_refuses_control_characters_and_line_breaks(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"one line without control characters|unicode"):
        rule(ONE_LINE).validate_python(f"a{bad}b")


@pytest.mark.parametrize("bad", [*CONTROLS, "\r", "\x0b", "\x0c"])
def test_many_lines_refuses_control_characters_but_new_lines_and_tabs(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"control characters|unicode"):
        rule(MANY_LINES).validate_python(f"a{bad}b")
    assert rule(MANY_LINES).validate_python("one\n\ttwo\u2028") == "one\n\ttwo\u2028"


@pytest.mark.parametrize("bad", BIDI)
def test_names_refuse_bidirectional_controls(bad: str) -> None:
    with pytest.raises(ValidationError, match="bidirectional"):
        rule(NAME).validate_python(f"scan{bad}gpj.exe")
    assert rule(ONE_LINE).validate_python(f"a{bad}b") == f"a{bad}b"


@pytest.mark.parametrize("text_rule", [ONE_LINE, MANY_LINES, NAME])
def test_text_is_kept_in_nfc(text_rule: TextRule) -> None:
    assert rule(text_rule).validate_python("Jose\u0301 Nun\u0303ez") == "Jos\u00e9 Nu\u00f1ez"
    assert rule(text_rule).validate_python("Ana-María O'Brien") == "Ana-María O'Brien"


@pytest.mark.parametrize("text_rule", [ONE_LINE, MANY_LINES, NAME, OPAQUE])
@pytest.mark.parametrize("value", [1, 1.5, True, None, b"bytes"])
def test_no_rule_turns_another_type_into_text(text_rule: TextRule, value: object) -> None:
    with pytest.raises(ValidationError):
        rule(text_rule).validate_python(value)


def test_opaque_text_is_kept_as_sent() -> None:
    secret = "pa\u0073s\u0301 \x00word"
    assert rule(OPAQUE).validate_python(secret) == secret
