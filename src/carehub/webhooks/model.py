"""Webhook subscriptions, their deliveries and the rules for sending them. Pure Python.

Three rules live here: where a delivery may connect (`AddressPolicy`, `check_url`), how a
receiver tells it came from carehub (`signature`), and what an attempt's outcome does to
the delivery and its subscription (`after_attempt`, `pauses`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from carehub.events.model import RetryPolicy

ALL_EVENTS = "*"
MAX_URL_LENGTH = 2048
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 256
# Retries over 2 to 4 minutes: up to 2, 4, 8 ... 128 s between the 8 attempts (jittered).
WEBHOOK_RETRY = RetryPolicy(max_attempts=8, base_seconds=2.0, cap_seconds=600.0)
DEFAULT_PAUSE_AFTER = 20


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    # Too many failed attempts in a row: nothing is queued or sent until an admin resumes it.
    PAUSED = "paused"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # every attempt failed


@dataclass(frozen=True, kw_only=True)
class WebhookSubscription:
    """An admin's request to have events of some types POSTed to a URL, signed with a secret."""

    id: str
    url: str
    event_types: tuple[str, ...]  # sorted; `("*",)` for every type
    secret: str
    status: SubscriptionStatus
    consecutive_failures: int
    created_by: str
    created_at: datetime
    updated_at: datetime

    def wants(self, event_type: str) -> bool:
        """Whether events of this type are queued for it (while it is active)."""
        return self.status is SubscriptionStatus.ACTIVE and (
            ALL_EVENTS in self.event_types or event_type in self.event_types
        )


@dataclass(frozen=True, kw_only=True)
class WebhookDelivery:
    """One event to send to one subscription; `body` is the exact JSON that is signed."""

    id: str
    subscription_id: str
    event_id: str
    event_type: str
    body: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    claimed_until: datetime | None = None
    finished_at: datetime | None = None
    # The W3C `traceparent` of the work that caused the event (None when tracing is off),
    # sent as a header so the receiver's spans can join the trace.
    traceparent: str | None = None


@dataclass(frozen=True, kw_only=True)
class DeliveryAttempt:
    """One POST of a delivery: the receiver's status code (None without a response), how long
    it took, and why it failed (never the response body)."""

    delivery_id: str
    attempt: int
    subscription_id: str
    at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class DeliveryRecord:
    """A delivery with its attempts, oldest attempt first (what an admin reads)."""

    delivery: WebhookDelivery
    attempts: tuple[DeliveryAttempt, ...]


def after_attempt(
    delivery: WebhookDelivery, attempt: DeliveryAttempt, retry: RetryPolicy
) -> WebhookDelivery:
    """The delivery once `attempt` is recorded: delivered, rescheduled with backoff, or
    failed after the policy's last attempt."""
    count = delivery.attempts + 1
    # Backoff counts from the attempt's end: a slow receiver must not be retried at once.
    ended = attempt.at + timedelta(milliseconds=attempt.latency_ms)
    if attempt.succeeded:
        status, finished = DeliveryStatus.DELIVERED, ended
    elif retry.gives_up(count):
        status, finished = DeliveryStatus.FAILED, ended
    else:
        status, finished = DeliveryStatus.PENDING, None
    next_at = delivery.next_attempt_at
    if status is DeliveryStatus.PENDING:
        next_at = ended + timedelta(seconds=retry.delay(count))
    return replace(
        delivery,
        status=status,
        attempts=count,
        next_attempt_at=next_at,
        claimed_until=None,
        finished_at=finished,
    )


def pauses(consecutive_failures: int, pause_after: int) -> bool:
    """Whether a subscription with this many failed attempts in a row is paused."""
    return consecutive_failures >= pause_after


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`X-Carehub-Signature`: hex HMAC-SHA256 of `"{timestamp}.{body}"` keyed with the secret.

    The timestamp is signed too, so a receiver that refuses old timestamps also refuses
    replays of a captured delivery.
    """
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# --- where a delivery may connect -----------------------------------------------------------

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(*pairs: tuple[str, str]) -> tuple[tuple[_Network, str], ...]:
    return tuple((ipaddress.ip_network(net), why) for net, why in pairs)


# Never reachable from a webhook: cloud metadata services live on link-local addresses.
_NEVER = _networks(
    ("0.0.0.0/8", "this-network"),
    ("169.254.0.0/16", "link-local"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),  # includes the broadcast address
    ("::/128", "unspecified"),
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
)
# Reachable only where the operator says so (CAREHUB_WEBHOOKS_ALLOW_PRIVATE), e.g. a
# receiver on the same host or network.
_PRIVATE = _networks(
    ("127.0.0.0/8", "loopback"),
    ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("100.64.0.0/10", "shared (CGNAT)"),
    ("192.0.0.0/24", "IETF protocol"),
    ("198.18.0.0/15", "benchmarking"),
    ("::1/128", "loopback"),
    ("fc00::/7", "unique-local"),
    ("fec0::/10", "site-local"),
    ("64:ff9b:1::/48", "local NAT64"),
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


@dataclass(frozen=True)
class AddressPolicy:
    """Which IP addresses a webhook may connect to."""

    allow_private: bool = False

    def refusal(self, address: str) -> str | None:
        """Why connecting to this IP address is refused (such as "link-local"), or None."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return "not an IP address"
        for candidate in (ip, *_embedded_ipv4(ip)):
            why = self._refusal(candidate)
            if why is not None:
                return why
        return None

    def _refusal(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        for network, why in _NEVER:
            if ip in network:
                return why
        if not self.allow_private:
            for network, why in _PRIVATE:
                if ip in network:
                    return why
        return None


def _embedded_ipv4(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries and may be routed to (mapped, NAT64, 6to4,
    Teredo, the deprecated IPv4-compatible form): each must pass the policy too."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [v4 for v4 in found if v4 is not None]


@dataclass(frozen=True)
class Target:
    """Where a webhook URL points: its host (a name or an IP literal) and port."""

    host: str
    port: int


def check_url(url: str) -> Target:
    """The target of an acceptable webhook URL; raises ValueError saying what is wrong.

    Only absolute http(s) URLs without credentials; the addresses the host resolves to are
    checked separately, when registering and again on every connection.
    """
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ValueError("contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError("is not a valid URL") from exc
    if parts.scheme not in ("http", "https"):
        raise ValueError("must start with http:// or https://")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain credentials")
    if not parts.hostname:
        raise ValueError("has no host")
    if port == 0:
        raise ValueError("has port 0")
    return Target(parts.hostname, port or (443 if parts.scheme == "https" else 80))
