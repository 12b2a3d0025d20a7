"""What a FHIR write's headers ask: the conditions of an `If-None-Exist`, each name a
route takes once, with a value, and nothing else."""

from __future__ import annotations

import pytest

from carehub.fhir.writes import conditions_of_if_none_exist, identifier_of_if_none_exist
from carehub.kernel.errors import Invalid

NAMES = ("patient", "code")


def test_each_condition_is_read_by_its_name() -> None:
    assert conditions_of_if_none_exist("code=urn:x%7C1&patient=Patient/p-1", NAMES) == {
        "code": "urn:x|1",
        "patient": "Patient/p-1",
    }


@pytest.mark.parametrize(
    "header",
    [
        "patient=p-1",  # one missing
        "patient=p-1&code=urn:x|1&status=active",  # one the route does not take
        "patient=p-1&patient=p-2&code=urn:x|1",  # one twice
        "patient=&code=urn:x|1",  # one empty
        "patient&code=urn:x|1",  # one without a value
        f"patient={'p' * 521}&code=urn:x|1",  # one too long
        "",
    ],
)
def test_a_condition_carehub_would_not_read_as_sent_is_refused_naming_the_header(
    header: str,
) -> None:
    with pytest.raises(Invalid) as refused:
        conditions_of_if_none_exist(header, NAMES)

    assert [e.field for e in refused.value.errors] == ["If-None-Exist"]


def test_an_identifier_is_a_system_and_a_value() -> None:
    assert identifier_of_if_none_exist("identifier=urn:pe:dni|4123") == ("urn:pe:dni", "4123")
    for header in ("identifier=4123", "identifier=urn:pe:dni|", "name=Rosa"):
        with pytest.raises(Invalid):
            identifier_of_if_none_exist(header)
