"""What counts as an E.164 phone number."""

from __future__ import annotations

import pytest

from carehub.kernel.sms import is_e164


@pytest.mark.parametrize("number", ["+51987654321", "+12025550123", "+49301234", "+" + "9" * 15])
def test_e164_numbers(number: str) -> None:
    assert is_e164(number)


@pytest.mark.parametrize(
    "number",
    [
        "",
        "+",
        "51987654321",
        "+051987654321",
        "+51 987 654 321",
        "+51-987-654-321",
        "+1234567",
        "+" + "9" * 16,
        "++51987654321",
        "+٥١٩٨٧٦٥٤٣٢١",
        "+51987654321\n",
        " +51987654321",
    ],
)
def test_not_e164(number: str) -> None:
    assert not is_e164(number)
