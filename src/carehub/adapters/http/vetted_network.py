"""Outbound connections only to addresses the webhook `AddressPolicy` allows.

An httpcore network backend that resolves each host itself, refuses it when any of its
addresses is forbidden, and connects to the vetted IP literal. Checking at connection time,
not only at registration, is what defeats DNS rebinding (a name that resolved to a public
address when registered and to 169.254.169.254 now). TLS still verifies and sends SNI for
the host name: httpcore passes it to `start_tls` separately from the address.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterable

import httpcore

from carehub.webhooks.model import AddressPolicy
from carehub.webhooks.ports import HostResolver, HostUnresolvable

DEFAULT_RESOLVE_TIMEOUT = 5.0


class SystemResolver:
    """Resolves host names with the operating system's resolver (getaddrinfo)."""

    def __init__(self, timeout: float = DEFAULT_RESOLVE_TIMEOUT) -> None:
        self._timeout = timeout

    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._timeout):
                found = await loop.getaddrinfo(
                    host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
                )
        except (OSError, TimeoutError, UnicodeError) as exc:
            raise HostUnresolvable(host) from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        if not addresses:
            raise HostUnresolvable(host)
        return addresses


class AddressRefused(httpcore.ConnectError):
    """The host resolves to an address the policy forbids; nothing was connected."""


class VettedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Connects through `inner` only to addresses `policy` allows, resolved by `resolver`."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolver: HostResolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        *others, last = await self._vetted_addresses(host, port, timeout)
        for address in others:
            # Try the host's next address when one does not answer, as browsers do.
            with contextlib.suppress(httpcore.ConnectError, httpcore.ConnectTimeout):
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
        return await self._inner.connect_tcp(last, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("webhooks never connect to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    async def _vetted_addresses(self, host: str, port: int, within: float | None) -> list[str]:
        try:
            async with asyncio.timeout(within):
                addresses = await self._resolver.resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} took too long") from exc
        except HostUnresolvable as exc:
            raise httpcore.ConnectError(f"{host} does not resolve") from exc
        if not addresses:
            raise httpcore.ConnectError(f"{host} does not resolve")
        # One forbidden address refuses the host: which address a connection ends up on
        # must not decide whether a private service is reached.
        for address in addresses:
            why = self._policy.refusal(address)
            if why is not None:
                raise AddressRefused(
                    f"refused to connect: {host} resolves to a {why} address ({address})"
                )
        return addresses
