"""The httpx webhook sender against real sockets: it connects only to vetted addresses,
resolves at connection time, follows no redirects and bounds time and what it reads."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable

import httpcore
import pytest

from carehub.adapters.http.vetted_network import SystemResolver, VettedNetworkBackend
from carehub.adapters.http.webhook_sender import HttpWebhookSender
from carehub.webhooks.model import AddressPolicy
from carehub.webhooks.ports import HostUnresolvable
from tests.adapters.webhooks.conftest import FakeResolver
from tests.support.receiver import Receiver

HEADERS = {"Content-Type": "application/json", "User-Agent": "carehub-webhooks"}
BODY = b'{"id":"e-1"}'
LENIENT = AddressPolicy(allow_private=True)


async def test_posts_the_body_and_headers_and_reports_status_and_latency() -> None:
    async with Receiver(statuses=[202]) as receiver:
        sender = HttpWebhookSender(LENIENT, SystemResolver())
        try:
            result = await sender.post(receiver.url, HEADERS, BODY)
        finally:
            await sender.close()
    assert result.status_code == 202
    assert result.error is None
    assert 0 < result.latency_ms < 5000
    (request,) = receiver.requests
    assert request.method == "POST"
    assert request.path == "/hooks/carehub"
    assert request.body == BODY
    assert request.headers["user-agent"] == "carehub-webhooks"
    assert request.headers["content-type"] == "application/json"


async def test_loopback_is_refused_without_allow_private_and_nothing_connects() -> None:
    async with Receiver() as receiver:
        sender = HttpWebhookSender(AddressPolicy(), SystemResolver())
        try:
            result = await sender.post(receiver.url, HEADERS, BODY)
        finally:
            await sender.close()
    assert result.status_code is None
    assert result.error is not None
    assert "loopback address (127.0.0.1)" in result.error
    assert receiver.requests == []


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]:80/", "http://0.0.0.0/"]
)
async def test_never_routable_literals_are_refused_even_when_private_is_allowed(url: str) -> None:
    sender = HttpWebhookSender(LENIENT, SystemResolver())
    try:
        result = await sender.post(url, HEADERS, BODY)
    finally:
        await sender.close()
    assert result.status_code is None
    assert result.error is not None
    assert result.error.startswith("ConnectError: refused to connect")


async def test_a_name_rebound_to_the_metadata_address_is_refused_at_connect_time() -> None:
    resolver = FakeResolver({"hooks.example.test": ["169.254.169.254"]})
    sender = HttpWebhookSender(LENIENT, resolver)
    try:
        result = await sender.post("http://hooks.example.test/in", HEADERS, BODY)
    finally:
        await sender.close()
    assert result.status_code is None
    assert result.error == (
        "ConnectError: refused to connect: hooks.example.test resolves to a link-local "
        "address (169.254.169.254)"
    )


async def test_one_forbidden_address_among_several_refuses_the_host() -> None:
    async with Receiver() as receiver:
        resolver = FakeResolver({"hooks.example.test": ["127.0.0.1", "169.254.169.254"]})
        sender = HttpWebhookSender(LENIENT, resolver)
        try:
            result = await sender.post(f"http://hooks.example.test:{receiver.port}/", HEADERS, BODY)
        finally:
            await sender.close()
    assert result.error is not None and "169.254.169.254" in result.error
    assert receiver.requests == []


async def test_connects_to_the_address_it_resolved_and_keeps_the_name_as_host() -> None:
    async with Receiver() as receiver:
        resolver = FakeResolver({"hooks.example.test": ["127.0.0.1"]})
        sender = HttpWebhookSender(LENIENT, resolver)
        try:
            result = await sender.post(f"http://hooks.example.test:{receiver.port}/", HEADERS, BODY)
        finally:
            await sender.close()
    assert result.status_code == 200
    assert receiver.requests[0].headers["host"] == f"hooks.example.test:{receiver.port}"


async def test_redirects_are_not_followed() -> None:
    async with Receiver() as target:
        moved = {"Location": target.url}
        async with Receiver(statuses=[307], headers=moved) as redirecting:
            sender = HttpWebhookSender(LENIENT, SystemResolver())
            try:
                result = await sender.post(redirecting.url, HEADERS, BODY)
            finally:
                await sender.close()
    assert result.status_code == 307
    assert len(redirecting.requests) == 1
    assert target.requests == []


async def test_a_receiver_that_does_not_answer_in_time_is_a_timeout() -> None:
    async with Receiver(delay=3.0) as receiver:
        sender = HttpWebhookSender(LENIENT, SystemResolver(), total_timeout=0.5)
        started = time.monotonic()
        try:
            result = await sender.post(receiver.url, HEADERS, BODY)
        finally:
            await sender.close()
    assert time.monotonic() - started < 2.0
    assert result.status_code is None
    assert result.error is not None and "0.5" in result.error


async def test_a_huge_answer_is_not_read_to_its_end() -> None:
    # The receiver announces 50 MB, sends 64 KiB and then stalls: reading on would time out.
    async with Receiver(body_size=50_000_000) as receiver:
        sender = HttpWebhookSender(LENIENT, SystemResolver(), total_timeout=3.0)
        started = time.monotonic()
        try:
            result = await sender.post(receiver.url, HEADERS, BODY)
        finally:
            await sender.close()
    assert result.status_code == 200
    assert result.error is None
    assert time.monotonic() - started < 1.5


async def test_an_unresolvable_name_is_an_error_not_an_exception() -> None:
    sender = HttpWebhookSender(LENIENT, FakeResolver())
    try:
        result = await sender.post("http://nowhere.example.test/", HEADERS, BODY)
    finally:
        await sender.close()
    assert result.status_code is None
    assert result.error == "ConnectError: nowhere.example.test does not resolve"


async def test_system_resolver_resolves_literals_and_refuses_nonsense() -> None:
    resolver = SystemResolver()
    assert await resolver.resolve("127.0.0.1", 80) == ["127.0.0.1"]
    assert await resolver.resolve("::1", 80) == ["::1"]
    # getaddrinfo reads numeric forms as IPv4: the policy sees the real address.
    assert await resolver.resolve("2852039166", 80) == ["169.254.169.254"]
    with pytest.raises(HostUnresolvable):
        await resolver.resolve("no-such-host.invalid", 80)


class RecordingStream(httpcore.AsyncNetworkStream):
    def __init__(self, log: list[tuple[str, str | None]]) -> None:
        self.log = log

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    ) -> httpcore.AsyncNetworkStream:
        self.log.append(("start_tls", server_hostname))
        raise httpcore.ConnectError("stop here")

    async def aclose(self) -> None:
        return None


class RecordingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.log: list[tuple[str, str | None]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.log.append(("connect_tcp", host))
        return RecordingStream(self.log)


async def test_tls_gets_the_host_name_while_the_socket_gets_the_vetted_address() -> None:
    inner = RecordingBackend()
    resolver = FakeResolver({"hooks.example.test": ["93.184.215.14"]})
    backend = VettedNetworkBackend(AddressPolicy(), resolver, inner)
    async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request("POST", "https://hooks.example.test/in", content=BODY)
    assert inner.log == [("connect_tcp", "93.184.215.14"), ("start_tls", "hooks.example.test")]
