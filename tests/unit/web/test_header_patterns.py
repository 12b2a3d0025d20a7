"""Header values are matched whole: a trailing newline is not a valid ending."""

from __future__ import annotations

import pytest

from carehub.kernel.errors import PreconditionFailed
from carehub.web.etag import version_from_if_match


def test_an_etag_is_read_whole() -> None:
    assert version_from_if_match('"v12"') == 12
    assert version_from_if_match('W/"v3"') == 3


@pytest.mark.parametrize("header", ['"v12"x', 'x"v12"', '"v12"\n"v13"'])
def test_an_etag_with_anything_around_it_is_refused(header: str) -> None:
    with pytest.raises(PreconditionFailed):
        version_from_if_match(header)
