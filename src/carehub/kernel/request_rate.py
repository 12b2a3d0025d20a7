"""How many requests a principal, and a client address, may make a minute."""

from __future__ import annotations

from carehub.kernel.errors import TooMany
from carehub.kernel.rate_limit import RateLimiter

WINDOW_SECONDS = 60
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

    __slots__ = ("_limiter", "per_address", "per_principal")

    def __init__(self, limiter: RateLimiter, *, per_minute: int) -> None:
        if per_minute < 0:
            raise ValueError("per_minute must be 0 (no limit) or more")
        self._limiter = limiter
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
        wait = await self._limiter.hit(key, limit=limit, window_seconds=WINDOW_SECONDS)
        if wait is not None:
            raise RequestsThrottled(wait)
