"""How many sign-in attempts an account and a client address may make in a window."""

from __future__ import annotations

import hashlib

import structlog

from carehub.identity.commands import SignInLimits
from carehub.identity.errors import Throttled
from carehub.kernel.rate_limit import RateLimiter

log = structlog.get_logger("carehub.identity.throttle")

# What a refused attempt is told to wait while the limiter cannot be reached.
UNCOUNTED_RETRY_AFTER = 30


class SignInThrottle:
    """Counts each attempt of an action (`login`, `otp`, `otp-verify`, `signup`) against
    its account and its client address; a spent budget is refused with `Throttled`."""

    def __init__(self, limiter: RateLimiter, limits: SignInLimits) -> None:
        self._limiter = limiter
        self._limits = limits

    async def count(self, action: str, email: str, client: str | None) -> None:
        """Count one attempt; raises `Throttled` once the account's or address's budget is spent."""
        window = self._limits.window_seconds
        keys = [(_key(action, "account", email), self._limits.per_account)]
        if client:
            keys.append((f"{action}:address:{client}", self._limits.per_address))
        for key, limit in keys:
            try:
                wait = await self._limiter.hit(key, limit=limit, window_seconds=window)
            except Exception as exc:
                # Attempts that cannot be counted are refused (fail closed): a password
                # guesser must not get an unlimited budget while the limiter is down.
                log.warning("sign_in_limiter_unreachable", error=type(exc).__name__)
                raise Throttled(UNCOUNTED_RETRY_AFTER) from exc
            if wait is not None:
                raise Throttled(wait)

    async def reset(self, action: str, email: str) -> None:
        """Forget the account's attempts (a sign-in that succeeded)."""
        try:
            await self._limiter.reset(_key(action, "account", email))
        except Exception as exc:
            # The sign-in itself succeeded; its window runs out on its own.
            log.warning("sign_in_limiter_unreachable", error=type(exc).__name__)


def _key(action: str, scope: str, email: str) -> str:
    # A digest, not the address: limiter keys carry no contact data.
    return f"{action}:{scope}:{hashlib.sha256(email.encode()).hexdigest()[:32]}"
