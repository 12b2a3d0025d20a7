"""Medical record numbers: a per-country sequence with a Luhn check digit."""

from __future__ import annotations

MRN_DIGITS = 7


def luhn_check_digit(digits: str) -> int:
    """The Luhn (mod 10) check digit for a string of digits."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def format_mrn(sequence: int) -> str:
    """The MRN for the n-th patient of a country: zero-padded number plus check digit."""
    if sequence < 1:
        raise ValueError("MRN sequence starts at 1")
    digits = str(sequence).zfill(MRN_DIGITS)
    return f"{digits}{luhn_check_digit(digits)}"


def is_valid_mrn(mrn: str) -> bool:
    """True when `mrn` is all ASCII digits and its last digit checks the rest (catches typos)."""
    # str.isdigit alone also takes '²', '８' or '٨'.
    if len(mrn) < MRN_DIGITS + 1 or not (mrn.isascii() and mrn.isdigit()):
        return False
    return luhn_check_digit(mrn[:-1]) == int(mrn[-1])
