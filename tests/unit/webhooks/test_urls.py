"""Webhook URLs: absolute http(s), no credentials, bounded length."""

from __future__ import annotations

import pytest

from carehub.webhooks.model import MAX_URL_LENGTH, Target, check_url


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://hooks.example.com/carehub", Target("hooks.example.com", 443)),
        ("http://hooks.example.com/carehub?x=1", Target("hooks.example.com", 80)),
        ("HTTPS://Hooks.Example.COM:8443/", Target("hooks.example.com", 8443)),
        ("http://203.0.113.7:8080/in", Target("203.0.113.7", 8080)),
        ("http://[2001:db8::1]/in", Target("2001:db8::1", 80)),
    ],
)
def test_accepted_urls_name_their_target(url: str, target: Target) -> None:
    assert check_url(url) == target


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://files.example.com/in", "must start with http:// or https://"),
        ("file:///etc/passwd", "must start with http:// or https://"),
        ("gopher://127.0.0.1:6379/_INFO", "must start with http:// or https://"),
        ("hooks.example.com/in", "must start with http:// or https://"),
        ("//hooks.example.com/in", "must start with http:// or https://"),
        ("https://user:pass@hooks.example.com/", "must not contain credentials"),
        ("https://token@hooks.example.com/", "must not contain credentials"),
        ("https:///path-only", "has no host"),
        ("https://hooks.example.com:99999/", "is not a valid URL"),
        ("https://hooks.example.com:0/", "has port 0"),
        ("https://[::1/", "is not a valid URL"),
        ("https://hooks.example.com/a b", "contains spaces or control characters"),
        ("https://hooks.example.com/\r\nX-Injected: 1", "contains spaces or control characters"),
        (
            "https://example.com/" + "a" * MAX_URL_LENGTH,
            f"is longer than {MAX_URL_LENGTH} characters",
        ),
    ],
)
def test_refused_urls_say_why(url: str, reason: str) -> None:
    with pytest.raises(ValueError) as refused:
        check_url(url)
    assert str(refused.value) == reason
