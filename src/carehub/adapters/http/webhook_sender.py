"""Webhook deliveries over HTTP (httpx), connecting only to addresses the policy allows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import httpcore
import httpx
import structlog

from carehub.adapters.http.vetted_network import VettedNetworkBackend
from carehub.events.model import describe_error
from carehub.webhooks.model import AddressPolicy
from carehub.webhooks.ports import HostResolver, SendResult

log = structlog.get_logger("carehub.webhooks")
# Receivers answer with a status; their bodies are neither needed nor stored. Reading a
# little lets a small answer end cleanly (the connection can be reused); a big one is cut.
READ_LIMIT = 4096


class HttpWebhookSender:
    """The `WebhookSender` port over httpx: no redirects, no proxies from the environment,
    a connect timeout and a total one. The client is made on first use, so processes that
    never send pay nothing for it."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolver: HostResolver,
        *,
        connect_timeout: float = 5.0,
        total_timeout: float = 10.0,
        max_connections: int = 20,
    ) -> None:
        self.total_timeout = total_timeout
        self._connect_timeout = connect_timeout
        self._backend = VettedNetworkBackend(policy, resolver)
        self._max_connections = max_connections
        self._client: httpx.AsyncClient | None = None

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult:
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.total_timeout):
                async with self._http().stream(
                    "POST", url, headers=dict(headers), content=body
                ) as response:
                    status = response.status_code
                    await _read_a_little(response)
        except TimeoutError:
            if status is None:
                error = f"no response within {self.total_timeout:g} s"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            if status is None:
                error = describe_error(exc)
        except Exception as exc:  # a delivery must end as a recorded attempt, whatever broke
            log.exception("webhook_send_failed", error_type=type(exc).__name__)
            error = describe_error(exc)
        return SendResult(status, (time.perf_counter() - started) * 1000, error)

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            transport = httpx.AsyncHTTPTransport(trust_env=False)
            # httpx 0.28 takes no network backend (encode/httpx#3749 proposes it), so the
            # transport's pool is replaced by one that connects through the vetting backend.
            transport._pool = httpcore.AsyncConnectionPool(
                ssl_context=httpx.create_ssl_context(trust_env=False),
                max_connections=self._max_connections,
                max_keepalive_connections=self._max_connections,
                keepalive_expiry=30.0,
                network_backend=self._backend,
            )
            self._client = httpx.AsyncClient(
                transport=transport,
                timeout=httpx.Timeout(self.total_timeout, connect=self._connect_timeout),
                follow_redirects=False,
                trust_env=False,
            )
        return self._client


async def _read_a_little(response: httpx.Response) -> None:
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read >= READ_LIMIT:
            break
