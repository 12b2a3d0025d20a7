"""How many requests a principal, and a client address, may make a minute."""

from __future__ import annotations

import time

import structlog

from carehub.kernel.errors import TooMany
from carehub.kernel.rate_limit import RateLimiter

WINDOW_SECONDS = 60
WARN_EVERY_SECONDS = 60.0
log = structlog.get_logger("carehub.request_rate")
# An address may carry many principals (a clinic's staff behind one NAT) and the sign-in
# requests that come before any principal, so it gets this many times a principal's budget.
ADDRESS_BUDGET_FACTOR = 10


class RequestsThrottled(TooMany):
    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many requests; try again later", retry_after=retry_after)


class RequestRate:
    """Counts every request against its principal's and its address's budget per minute.

    Refused requests count like any other: a client enumerating records it may not read
    spends its budget on the 403s and 404s.
    """

    __slots__ = ("_limiter", "_warned_at", "per_address", "per_principal")

    def __init__(self, limiter: RateLimiter, *, per_minute: int) -> None:
        if per_minute < 0:
            raise ValueError("per_minute must be 0 (no limit) or more")
        self._limiter = limiter
        self._warned_at: float | None = None
        self.per_principal = per_minute
        self.per_address = per_minute * ADDRESS_BUDGET_FACTOR

    async def charge_principal(self, principal_id: str) -> None:
        """Count one request of the principal; RequestsThrottled once it is over budget."""
        await self._charge(f"principal:{principal_id}", self.per_principal)

    async def charge_address(self, address: str) -> None:
        """Count one request from the address; RequestsThrottled once it is over budget."""
        await self._charge(f"address:{address}", self.per_address)

    async def _charge(self, key: str, limit: int) -> None:
        if not limit:
            return
        try:
            wait = await self._limiter.hit(key, limit=limit, window_seconds=WINDOW_SECONDS)
        except Exception as exc:
            # The budget guards against floods, not any data: a limiter that cannot be
            # reached lets requests through (health probes included) rather than fail them.
            self._unreachable(exc)
            return
        if wait is not None:
            raise RequestsThrottled(wait)

    def _unreachable(self, exc: Exception) -> None:
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("request_limiter_unreachable", error=type(exc).__name__)
