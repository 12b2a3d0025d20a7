"""Settings that shape what carehub trusts of a request."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from pydantic import ValidationError

from carehub.config import Settings


def test_the_public_url_defaults_to_where_carehub_listens() -> None:
    assert Settings(host="127.0.0.1", port=8000).resolved_public_url == "http://127.0.0.1:8000"
    assert Settings(host="::1", port=9000).resolved_public_url == "http://[::1]:9000"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://api.clinic.example", "https://api.clinic.example"),
        ("https://api.clinic.example/", "https://api.clinic.example"),
        ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
    ],
)
def test_a_public_url_is_an_origin(given: str, kept: str) -> None:
    assert Settings(public_url=given).resolved_public_url == kept


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://api.clinic.example",
        "api.clinic.example",
        "https://",
        "https://api.clinic.example/carehub",
        "https://api.clinic.example/?next=1",
        "https://api.clinic.example?",
        "https://api.clinic.example/#top",
        "https://user:secret@api.clinic.example",
        "https://api.clinic.example:99999",
        "https://bücher.example",
    ],
)
def test_anything_else_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="public_url"):
        Settings(public_url=bad)


def test_trusted_proxies_are_addresses_or_ranges_and_none_by_default() -> None:
    assert Settings().trusted_proxies == []
    assert Settings(trusted_proxies="10.0.0.0/8, 192.0.2.7,::1").trusted_proxies == [
        ip_network("10.0.0.0/8"),
        ip_network("192.0.2.7/32"),
        ip_network("::1/128"),
    ]
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies="10.0.0.1/8")  # host bits set: a typo, not a range
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies="proxy.internal")
