"""Opaque cursors and page-size bounds."""

from __future__ import annotations

import base64

import pytest

from carehub.kernel.errors import Invalid
from carehub.kernel.pagination import (
    MAX_LIMIT,
    check_limit,
    cursor_position,
    decode_cursor,
    encode_cursor,
)


def test_a_cursor_decodes_to_the_position_it_encoded() -> None:
    position = {"after": "0190b0c2-7e3a-7abc-8def-0123456789ab", "n": 3, "ü": [1, None]}
    assert decode_cursor(encode_cursor(position)) == position


def test_cursors_are_url_safe_without_padding() -> None:
    for length in range(1, 12):
        cursor = encode_cursor({"after": "x" * length})
        assert set(cursor) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor!",
        "%%%%",
        "é",
        base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
        base64.urlsafe_b64encode(b"{broken json").decode(),
        encode_cursor({"after": "x"})[:-3],
    ],
)
def test_a_garbage_cursor_is_invalid_input(cursor: str) -> None:
    with pytest.raises(Invalid) as caught:
        decode_cursor(cursor)
    assert [e.field for e in caught.value.errors] == ["cursor"]


@pytest.mark.parametrize("payload", [b"[1, 2]", b'"after"', b"42", b"null"])
def test_a_cursor_that_is_not_a_json_object_is_invalid_input(payload: bytes) -> None:
    with pytest.raises(Invalid):
        decode_cursor(base64.urlsafe_b64encode(payload).decode())


def test_a_cursor_position_reads_back_with_its_type() -> None:
    assert cursor_position(encode_cursor({"after": "p-1"}), "after", str) == "p-1"
    assert cursor_position(encode_cursor({"before": 42}), "before", int) == 42


@pytest.mark.parametrize(
    ("position", "key", "kind"),
    [
        ({"after": "p-1"}, "before", str),
        ({"after": 42}, "after", str),
        ({"after": None}, "after", str),
        ({"before": "42"}, "before", int),
        ({"before": True}, "before", int),
    ],
)
def test_a_cursor_position_of_another_key_or_type_is_invalid_input(
    position: dict[str, object], key: str, kind: type[object]
) -> None:
    with pytest.raises(Invalid) as caught:
        cursor_position(encode_cursor(position), key, kind)
    assert [e.field for e in caught.value.errors] == ["cursor"]


@pytest.mark.parametrize("limit", [1, 50, MAX_LIMIT])
def test_limits_from_one_to_the_maximum_are_accepted(limit: int) -> None:
    assert check_limit(limit) == limit


@pytest.mark.parametrize("limit", [-1, 0, MAX_LIMIT + 1, 10_000])
def test_limits_outside_one_to_the_maximum_are_invalid(limit: int) -> None:
    with pytest.raises(Invalid) as caught:
        check_limit(limit)
    assert [e.field for e in caught.value.errors] == ["limit"]
