"""Whose address a request carries, and which host it is taken to have reached."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from starlette.types import Message, Receive, Scope, Send

from carehub.entrypoints.http.proxy import ProxyMiddleware, forwarded_client

PROXIES = [ip_network("10.0.0.0/8"), ip_network("2001:db8::/32")]


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # A peer that is no trusted proxy is the client, whatever it claims.
        ("198.51.100.7", ["203.0.113.9"], "198.51.100.7"),
        ("127.0.0.1", ["203.0.113.9"], "127.0.0.1"),
        # A trusted proxy: the right-most hop that is not a proxy; what the client
        # wrote to the left of it is ignored.
        ("10.0.0.2", ["203.0.113.9"], "203.0.113.9"),
        ("10.0.0.2", ["6.6.6.6, 203.0.113.9"], "203.0.113.9"),
        ("10.0.0.2", ["6.6.6.6, 203.0.113.9, 10.1.1.1"], "203.0.113.9"),
        ("10.0.0.2", ["6.6.6.6", "203.0.113.9", "10.1.1.1"], "203.0.113.9"),
        # Every hop trusted: the left-most is as far as anyone knows.
        ("10.0.0.2", ["10.9.9.9, 10.1.1.1"], "10.9.9.9"),
        # A hop that is no address: the trusted hop after it is the last true one.
        ("10.0.0.2", ["203.0.113.9, unknown, 10.1.1.1"], "10.1.1.1"),
        ("10.0.0.2", ["not-an-address"], "10.0.0.2"),
        ("10.0.0.2", [""], "10.0.0.2"),
        # Ports and IPv6, and an IPv4-mapped peer.
        ("10.0.0.2", ["203.0.113.9:4711"], "203.0.113.9"),
        ("2001:db8::5", ["[2001:db8:1::7]:80, 2606:4700::1"], "2606:4700::1"),
        ("::ffff:10.0.0.2", ["203.0.113.9"], "203.0.113.9"),
    ],
)
def test_the_client_is_the_right_most_hop_a_trusted_proxy_names(
    peer: str, forwarded_for: list[str], client: str
) -> None:
    assert forwarded_client(peer, forwarded_for, PROXIES) == client


def test_with_no_trusted_proxy_the_header_means_nothing() -> None:
    assert forwarded_client("10.0.0.2", ["203.0.113.9"], []) == "10.0.0.2"


async def seen_scope(scope: Scope, *, trusted: bool = True) -> Scope:
    """The scope the app behind the middleware receives for `scope`."""
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        pass

    proxies = PROXIES if trusted else []
    middleware = ProxyMiddleware(
        app, public_url="https://api.clinic.example", trusted_proxies=proxies
    )
    await middleware(scope, receive, send)
    return seen[0]


def http_scope(peer: str, *headers: tuple[bytes, bytes]) -> Scope:
    return {"type": "http", "scheme": "http", "client": (peer, 5000), "headers": list(headers)}


async def test_the_app_sees_the_forwarded_client_only_from_a_trusted_proxy() -> None:
    forged = (b"x-forwarded-for", b"203.0.113.9")
    assert (await seen_scope(http_scope("10.0.0.2", forged)))["client"] == ("203.0.113.9", 0)
    assert (await seen_scope(http_scope("198.51.100.7", forged)))["client"] == (
        "198.51.100.7",
        5000,
    )
    untrusting = await seen_scope(http_scope("10.0.0.2", forged), trusted=False)
    assert untrusting["client"] == ("10.0.0.2", 5000)


async def test_the_app_sees_the_public_origin_whatever_host_the_client_named() -> None:
    scope = await seen_scope(http_scope("198.51.100.7", (b"host", b"evil.example")))
    assert scope["scheme"] == "https"
    assert [v for n, v in scope["headers"] if n == b"host"] == [b"api.clinic.example"]
    no_host = await seen_scope(http_scope("198.51.100.7"))
    assert [v for n, v in no_host["headers"] if n == b"host"] == [b"api.clinic.example"]
