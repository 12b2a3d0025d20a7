"""If-None-Match against a current ETag (RFC 9110 §13.1.2): `*`, lists, weak comparison,
and the 304 it turns a response into."""

from __future__ import annotations

import pytest
from starlette.responses import Response

from carehub.web.etag import conditional, etag_of_body, none_match_names, with_body_etag


@pytest.mark.parametrize(
    "header",
    ['"v3"', "*", " * ", 'W/"v3"', '"v1", "v3"', '"v1",W/"v3"', '"a,b", "v3"', ' , "v3",'],
)
def test_a_header_naming_the_current_tag_matches(header: str) -> None:
    assert none_match_names(header, '"v3"')


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        '"v4"',
        "v3",
        '"v33"',
        '"v"',
        '"v1", W/"v2"',
        '"*"',
        'w/"v3"x',
        '"v1" "v3"',
        '"v 3"',
    ],
)
def test_a_header_not_naming_it_does_not(header: str | None) -> None:
    assert not none_match_names(header, '"v3"')


def test_a_weak_current_tag_matches_its_strong_form() -> None:
    assert none_match_names('"h1"', 'W/"h1"')


def test_a_match_is_a_bodiless_304_with_the_etag() -> None:
    full = Response(b'{"a":1}', media_type="application/json", headers={"ETag": '"v3"'})
    answer = conditional(full, 'W/"v3"')
    assert answer.status_code == 304
    assert answer.body == b""
    assert answer.headers["ETag"] == '"v3"'
    assert "content-type" not in answer.headers and "content-length" not in answer.headers


def test_no_match_a_stale_tag_or_no_etag_keep_the_full_answer() -> None:
    full = Response(b"{}", headers={"ETag": '"v3"'})
    assert conditional(full, '"v2"') is full
    assert conditional(full, '"v3"', current=False) is full
    untagged = Response(b"{}")
    assert conditional(untagged, "*") is untagged


def test_a_body_etag_is_strong_and_follows_every_byte() -> None:
    assert etag_of_body(b'{"a":1}') == etag_of_body(b'{"a":1}')
    assert etag_of_body(b'{"a":1}') != etag_of_body(b'{"a":2}')
    assert not etag_of_body(b"").startswith("W/")
    tagged = with_body_etag(Response(b'{"a":1}'))
    assert tagged.headers["ETag"] == etag_of_body(b'{"a":1}')
