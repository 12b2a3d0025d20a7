"""Search-key folding: case- and accent-insensitive, and prefix matches as index ranges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carehub.kernel.text import fold, prefix_upper_bound, tokens


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("José", "jose"),
        ("JOSÉ", "jose"),
        ("  José  ÁLVAREZ ", "jose alvarez"),
        ("Núñez Peña", "nunez pena"),
        ("São Paulo", "sao paulo"),
        ("Zoë\tBrontë\n", "zoe bronte"),
        ("Straße", "strasse"),
        ("Ｊｏｓｅ", "jose"),  # full-width letters fold by compatibility (NFKD)
    ],
)
def test_fold_lowercases_strips_accents_and_collapses_spaces(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_treats_composed_and_decomposed_accents_alike() -> None:
    assert fold("Jos\u00e9") == fold("Jose\u0301") == "jose"


def test_tokens_split_on_spaces_hyphens_apostrophes_and_punctuation() -> None:
    assert tokens("María-José O'Brien, Jr.") == ["maria", "jose", "o", "brien", "jr"]
    assert tokens("D’Angelo") == ["d", "angelo"]


def test_tokens_of_blank_text_are_empty() -> None:
    assert tokens("  - ' ") == []


@given(prefix=st.text(max_size=8), rest=st.text(max_size=8))
def test_every_string_with_the_prefix_lies_in_the_prefix_range(prefix: str, rest: str) -> None:
    value = prefix + rest.replace("\U0010ffff", "")
    assert prefix <= value < prefix_upper_bound(prefix)


@given(prefix=st.text(min_size=1, max_size=8), other=st.text(max_size=8))
def test_strings_without_the_prefix_fall_outside_the_prefix_range(prefix: str, other: str) -> None:
    if not other.startswith(prefix) and "\U0010ffff" not in prefix + other:
        assert not prefix <= other < prefix_upper_bound(prefix)
