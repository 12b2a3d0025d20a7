"""The Redis Streams broker: one stream per event family; on each, a group per consumer.

Retries and dead consumers share one mechanism, the group's pending entries list: an entry
read but not acknowledged stays pending, and once it has been idle for the visibility
timeout any instance of the consumer claims it, with the next attempt number. `retry_later`
keeps the entry pending and backdates its idle time, so it becomes claimable after the delay.

Groups start at the end of their stream ("$") when first declared: a new consumer gets what
is published from then on, as with the other brokers, rather than the stream's whole
retained history (a new webhook or mail consumer must not act on months-old events). So
the relay must declare every consumer before it publishes, as the port asks.

Needs Redis 7.0 or later (XPENDING IDLE; XCLAIM dropping entries deleted by trimming).
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from redis.typing import EncodableT, FieldT

from carehub.events.model import ConsumerSpec
from carehub.events.ports import Delivery
from carehub.kernel.events import EventMessage

log = structlog.get_logger("carehub.events")

# Trimming bounds memory. The margin is wide because it also drops entries that a stalled
# consumer has not read yet; `MAXLEN ~` trims whole nodes only, which keeps XADD cheap.
DEFAULT_MAX_STREAM_LENGTH = 1_000_000
# A receive blocks on the server for at most this long at a time, then looks for due
# retries again; this also keeps every read well within the client's socket timeout.
READ_SLICE_SECONDS = 1.0
SOCKET_TIMEOUT_SECONDS = 5.0

# Deleting a consumer drops its pending entries for good, so only one holding none goes.
_LEAVE_GROUP = """
local held = redis.pcall('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if type(held) == 'table' and held.err == nil and #held == 0 then
  redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return 0
"""


class RedisStreamsBroker:
    """Events in Redis Streams, shared by every process pointed at the same server."""

    max_in_flight = 1  # a pipelined batch can fail part-way: confirm one before the next

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "carehub",
        visibility_timeout: float = 30.0,
        max_stream_length: int | None = DEFAULT_MAX_STREAM_LENGTH,
        owns_client: bool = False,
    ) -> None:
        if visibility_timeout <= 0:
            raise ValueError("visibility_timeout must be positive")
        self._client = client
        self._prefix = prefix
        self._visibility_ms = max(1, round(visibility_timeout * 1000))
        self._max_stream_length = max_stream_length
        self._owns_client = owns_client
        self._leave_group = client.register_script(_LEAVE_GROUP)
        self._subscriptions: list[RedisStreamsSubscription] = []

    def stream(self, family: str) -> str:
        """The stream of one event family (keys carry family names only)."""
        return f"{self._prefix}:events:{family}"

    async def declare(self, consumers: Sequence[ConsumerSpec]) -> None:
        for spec in consumers:
            for family in sorted(spec.families):
                try:
                    await self._client.xgroup_create(
                        self.stream(family), spec.name, id="$", mkstream=True
                    )
                except ResponseError as exc:
                    if "BUSYGROUP" not in str(exc):
                        raise

    async def publish(self, messages: Sequence[EventMessage]) -> None:
        if not messages:
            return
        pipe = self._client.pipeline(transaction=False)  # order per stream is enough
        for message in messages:
            pipe.xadd(
                self.stream(message.family),
                _entry_fields(message),
                maxlen=self._max_stream_length,
                approximate=True,
            )
        await pipe.execute()

    def subscription(self, consumer: ConsumerSpec) -> RedisStreamsSubscription:
        """A new instance of the consumer, as if in another process."""
        streams = [self.stream(family) for family in sorted(consumer.families)]
        opened = RedisStreamsSubscription(self._client, consumer, streams, self._visibility_ms)
        self._subscriptions.append(opened)
        return opened

    async def depths(self, consumers: Sequence[ConsumerSpec]) -> dict[str, int]:
        """Per consumer, its groups' entries not yet read (`lag`, Redis 7) and read but not
        acknowledged (`pending`), over its families' streams: an upper bound, since a
        consumer skips the entries of other types and countries as it reads them. One
        XINFO GROUPS a stream."""
        groups: dict[str, list[dict[Any, Any]]] = {}
        for family in sorted({f for spec in consumers for f in spec.families}):
            stream = self.stream(family)
            try:
                groups[family] = list(await self._client.xinfo_groups(stream))
            except ResponseError:
                groups[family] = []  # no such stream yet: nothing waits
        depths: dict[str, int] = {}
        for spec in consumers:
            total = 0
            for family in spec.families:
                for group in groups.get(family, []):
                    fields = {_text(key): value for key, value in group.items()}
                    if _text(fields.get("name", b"")) == spec.name:
                        total += int(fields.get("lag") or 0) + int(fields.get("pending") or 0)
            depths[spec.name] = total
        return depths

    async def close(self) -> None:
        """Leave the groups (instances holding entries stay, to be claimed); close the pool."""
        try:
            for opened in self._subscriptions:
                for stream in opened.streams:
                    await self._leave_group(keys=[stream], args=[opened.spec.name, opened.name])
        except RedisError as exc:  # the names left behind are harmless
            log.warning("broker.leave_group_failed", error=type(exc).__name__)
        finally:
            self._subscriptions.clear()
            if self._owns_client:
                await self._client.aclose()


class RedisStreamsSubscription:
    """One instance of a consumer: its own consumer name inside the consumer's groups."""

    def __init__(
        self, client: Redis, spec: ConsumerSpec, streams: Sequence[str], visibility_ms: int
    ) -> None:
        self.spec = spec
        self.streams = list(streams)
        self.name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        self._client = client
        self._group = spec.name
        self._visibility_ms = visibility_ms
        # Read beyond `max_messages` (COUNT applies per stream); pending, so handed out
        # first by the next receive.
        self._surplus: list[Delivery] = []

    async def receive(self, max_messages: int, wait_seconds: float) -> list[Delivery]:
        if max_messages < 1:
            raise ValueError("max_messages must be at least 1")
        deadline = time.monotonic() + wait_seconds
        while True:
            ready = self._take_surplus(max_messages) or await self._claim_due(max_messages)
            if ready:
                return ready
            block = min(deadline - time.monotonic(), READ_SLICE_SECONDS)
            fresh = await self._read_new(max_messages, block)
            if fresh or time.monotonic() >= deadline:
                return fresh

    async def ack(self, delivery: Delivery) -> None:
        entry_id, stream = _parse_receipt(delivery.receipt)
        await self._client.xack(stream, self._group, entry_id)

    async def retry_later(self, delivery: Delivery, delay_seconds: float) -> None:
        """Backdate the entry's idle time so it is due after the delay (at most the
        visibility timeout); JUSTID leaves the delivery counter to the next claim."""
        entry_id, stream = _parse_receipt(delivery.receipt)
        delay_ms = min(self._visibility_ms, max(0, round(delay_seconds * 1000)))
        await self._client.xclaim(
            stream,
            self._group,
            self.name,
            0,
            [entry_id],
            idle=self._visibility_ms - delay_ms,
            justid=True,
        )

    def _take_surplus(self, max_messages: int) -> list[Delivery]:
        taken, self._surplus = self._surplus[:max_messages], self._surplus[max_messages:]
        return taken

    async def _claim_due(self, max_messages: int) -> list[Delivery]:
        """Entries idle for the visibility timeout: retried, or their instance died."""
        pipe = self._client.pipeline(transaction=False)
        for stream in self.streams:
            pipe.xpending_range(
                stream, self._group, "-", "+", max_messages, idle=self._visibility_ms
            )
        due_by_stream: list[list[dict[str, Any]]] = await pipe.execute()
        claimed: list[Delivery] = []
        for stream, due in zip(self.streams, due_by_stream, strict=True):
            due = due[: max_messages - len(claimed)]
            if not due:
                continue
            # The claim is counted as one more delivery; min-idle again, in case another
            # instance claimed the entry since XPENDING.
            attempts = {_text(d["message_id"]): int(d["times_delivered"]) + 1 for d in due}
            entries = await self._client.xclaim(
                stream, self._group, self.name, self._visibility_ms, list(attempts)
            )
            claimed += await self._sort(stream, entries, attempts)
        return claimed

    async def _read_new(self, max_messages: int, block_seconds: float) -> list[Delivery]:
        block_ms = int(block_seconds * 1000)
        reply = await self._client.xreadgroup(
            self._group,
            self.name,
            dict.fromkeys(self.streams, ">"),
            count=max(1, max_messages // len(self.streams)),
            block=block_ms if block_ms > 0 else None,  # BLOCK 0 would wait forever
        )
        fresh: list[Delivery] = []
        for stream, entries in _per_stream(reply):
            fresh += await self._sort(_text(stream), entries, {})
        self._surplus = fresh[max_messages:]
        return fresh[:max_messages]

    async def _sort(
        self, stream: str, entries: Iterable[Any], attempts: Mapping[str, int]
    ) -> list[Delivery]:
        """The deliveries among entries; the ones this consumer does not want (or cannot
        read, or that were trimmed away) are acknowledged at once."""
        deliveries: list[Delivery] = []
        settled: list[str] = []
        for raw_id, raw_fields in entries:
            if raw_id is None:  # a deleted entry, as Redis before 7.0 claims it: no id
                continue
            entry_id = _text(raw_id)
            message = self._wanted_message(raw_fields or {}, stream, entry_id)
            if message is None:
                settled.append(entry_id)
            else:
                attempt = attempts.get(entry_id, 1)
                deliveries.append(Delivery(message, attempt, f"{entry_id} {stream}"))
        if settled:
            await self._client.xack(stream, self._group, *settled)
        return deliveries

    def _wanted_message(
        self, raw_fields: Mapping[Any, Any], stream: str, entry_id: str
    ) -> EventMessage | None:
        fields = {_text(key): value for key, value in raw_fields.items()}
        # The type and country fields spare decoding the envelopes of unwanted entries.
        if _text(fields.get("type", b"")) not in self.spec.event_types:
            return None
        country = _text(fields.get("country", b""))
        if self.spec.country_id is not None and country != self.spec.country_id:
            return None
        if country in self.spec.other_countries:
            return None
        try:
            message = EventMessage.from_json(orjson.loads(fields["event"]))
            for header in _TRACE_HEADERS:  # the trace goes beside the envelope
                if header in fields:
                    message.trace_context[header] = _text(fields[header])
        except (KeyError, TypeError, ValueError, UnicodeDecodeError):
            # Never deliverable: dropping it beats claiming it again forever.
            log.error("broker.unreadable_entry", stream=stream, entry_id=entry_id)
            return None
        return message if self.spec.wants(message) else None


def redis_broker_from_url(
    url: str,
    *,
    prefix: str = "carehub",
    visibility_timeout: float = 30.0,
    socket_timeout: float = SOCKET_TIMEOUT_SECONDS,
) -> RedisStreamsBroker:
    """A broker with its own connection pool (connects lazily); call `close()` at shutdown."""
    if socket_timeout <= READ_SLICE_SECONDS:
        raise ValueError("socket_timeout must exceed a blocking read's slice")
    client = Redis.from_url(
        url, socket_connect_timeout=socket_timeout, socket_timeout=socket_timeout
    )
    return RedisStreamsBroker(
        client, prefix=prefix, visibility_timeout=visibility_timeout, owns_client=True
    )


# The W3C trace context's headers, kept as entry fields of the same names.
_TRACE_HEADERS = ("traceparent", "tracestate")


def _entry_fields(message: EventMessage) -> dict[FieldT, EncodableT]:
    fields: dict[FieldT, EncodableT] = {
        "event": orjson.dumps(message.to_json()),
        "type": message.event_type,
    }
    country = message.payload.get("countryId")
    if isinstance(country, str):
        fields["country"] = country
    for header in _TRACE_HEADERS:
        if value := message.trace_context.get(header):
            fields[header] = value
    return fields


def _per_stream(reply: Any) -> Iterable[tuple[Any, Any]]:
    """XREADGROUP's reply as (stream, entries) pairs, in RESP2 or RESP3 shape."""
    if isinstance(reply, dict):
        return reply.items()
    return [(stream, entries) for stream, entries in reply or []]


def _parse_receipt(receipt: str) -> tuple[str, str]:
    """(entry id, stream): an entry id never holds a space; a stream key may."""
    entry_id, _, stream = receipt.partition(" ")
    return entry_id, stream


def _text(value: Any) -> str:
    """A reply value as text, whether or not the client decodes responses."""
    return value.decode() if isinstance(value, bytes) else str(value)
