"""Medical record numbers: seven zero-padded digits and a Luhn check digit."""

from __future__ import annotations

import pytest

from carehub.patients.mrn import MRN_DIGITS, format_mrn, is_valid_mrn, luhn_check_digit


@pytest.mark.parametrize(
    ("digits", "check"),
    [("7992739871", 3), ("0000001", 8), ("0000000", 0), ("1234567", 4), ("4992739871", 6)],
)
def test_luhn_check_digit_matches_known_values(digits: str, check: int) -> None:
    assert luhn_check_digit(digits) == check


def test_the_first_mrn_of_a_country_is_zero_padded_with_its_check_digit() -> None:
    assert format_mrn(1) == "00000018"
    assert format_mrn(1234567) == "12345674"


def test_mrns_beyond_seven_digits_grow_instead_of_wrapping() -> None:
    mrn = format_mrn(12_345_678)
    assert mrn[:-1] == "12345678"
    assert is_valid_mrn(mrn)


@pytest.mark.parametrize("sequence", [0, -1])
def test_sequences_start_at_one(sequence: int) -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        format_mrn(sequence)


@pytest.mark.parametrize("sequence", [1, 2, 9, 10, 99, 4711, 9_999_999])
def test_every_formatted_mrn_is_valid(sequence: int) -> None:
    mrn = format_mrn(sequence)
    assert len(mrn) == MRN_DIGITS + 1
    assert is_valid_mrn(mrn)


def test_any_single_digit_typo_is_detected() -> None:
    mrn = format_mrn(4711)
    for position, original in enumerate(mrn):
        for digit in "0123456789":
            if digit != original:
                typo = mrn[:position] + digit + mrn[position + 1 :]
                assert not is_valid_mrn(typo), typo


def test_swapping_adjacent_different_digits_is_detected() -> None:
    mrn = format_mrn(1234567)
    for i in range(len(mrn) - 1):
        a, b = mrn[i], mrn[i + 1]
        if a != b and {a, b} != {"0", "9"}:  # Luhn's one blind spot
            swapped = mrn[:i] + b + a + mrn[i + 2 :]
            assert not is_valid_mrn(swapped), swapped


@pytest.mark.parametrize("text", ["", "1234", "0000001", "00000a18", "0000001-8", " 00000018"])
def test_short_or_non_numeric_text_is_not_an_mrn(text: str) -> None:
    assert not is_valid_mrn(text)


@pytest.mark.parametrize(
    "text",
    ["0000001²", "００００００１８", "٠٠٠٠٠٠١٨"],
    ids=["superscript", "fullwidth", "arabic-indic"],
)
def test_only_ascii_digits_make_an_mrn(text: str) -> None:
    assert not is_valid_mrn(text)
