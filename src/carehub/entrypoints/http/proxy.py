"""Who sent a request, and where clients reach carehub.

The client's address is the connection's peer, unless the peer is a reverse proxy named in
`CAREHUB_TRUSTED_PROXIES`: then it is the right-most `X-Forwarded-For` hop that is not
itself a trusted proxy (hops to the left of it were written by the client and prove
nothing). Every other copy of the header is ignored, so nobody picks their own address for
the per-address sign-in limit or the audit trail.

The request's `Host` header is replaced by the configured public origin, so that whatever
the framework builds from it (a trailing-slash redirect, `request.base_url`) points at
carehub and never at a host the client made up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


class ProxyMiddleware:
    """Sets the scope's client from trusted proxies only, and its scheme and host from the
    public origin."""

    def __init__(self, app: ASGIApp, *, public_url: str, trusted_proxies: Sequence[Network]):
        self.app = app
        self.trusted = tuple(trusted_proxies)
        origin = urlsplit(public_url)
        self.scheme = origin.scheme
        self.host = origin.netloc.encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            client = scope.get("client")
            if self.trusted and client:
                forwarded = [v.decode("latin-1") for n, v in headers if n == b"x-forwarded-for"]
                if forwarded:
                    address = forwarded_client(client[0], forwarded, self.trusted)
                    scope["client"] = (address, 0 if address != client[0] else client[1])
            scope["scheme"] = self.scheme
            scope["headers"] = [(n, v) for n, v in headers if n != b"host"]
            scope["headers"].append((b"host", self.host))
        await self.app(scope, receive, send)


def forwarded_client(peer: str, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str:
    """The client's address: `peer`, unless `peer` is a trusted proxy; then the right-most
    hop of `X-Forwarded-For` (all its values, in order) that is not a trusted proxy.

    A hop that is not an address ends the walk at the trusted hop after it, the last one
    known to be true; when every hop is trusted, the left-most one is the client.
    """
    client = _address(peer)
    if client is None or not _trusted(client, trusted):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, trusted):
            break
    return str(client)


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)


def _address(text: str) -> Address | None:
    """An IP address from a peer or a hop: `203.0.113.7`, `2001:db8::1`, also with a port
    (`203.0.113.7:4711`, `[2001:db8::1]:4711`); an IPv4-mapped IPv6 address as IPv4."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
