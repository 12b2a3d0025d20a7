"""The event catalogue, generated from the code: every event type and its payload schema."""

from __future__ import annotations

import json
from typing import Any, get_type_hints

from pydantic import TypeAdapter

from carehub.bootstrap.event_types import EVENT_TYPES
from carehub.kernel.events import DomainEvent

HEADER = """# Event catalogue

Generated from the code by `carehub events catalogue`; do not edit by hand.

Every event travels in the same envelope (`EventMessage.to_json()`): `id` (the event id,
also the idempotency key of every consumer), `type`, `aggregateId` (the ordering key:
events of one aggregate are relayed in commit order), `occurredAt` (UTC), `actorId` and
`data`, the payload below. Payloads carry ids and codes only: never names, contact data
or notes.

Events leave the outbox through one relay at a time (`CAREHUB_OUTBOX_RELAY`): by default
a relay that polls the outbox; on DynamoDB, with `stream`, the table's stream feeds it (a
Lambda in AWS, a reader in carehub's processes with a local emulator). Either way an
event is marked published once the broker took it, so the other path never sends it, and
delivery is at least once: a consumer applies an event id once (docs/dynamodb.md,
"Outbox and relay").

Sign-in bookkeeping (sessions, one-time codes, failed-attempt counters) emits no events:
it is the identity service's own security state, not a fact other parts react to.
Webhook subscriptions are configuration and emit none either.
"""


def payload_schema(event: type[DomainEvent]) -> dict[str, Any]:
    """The JSON Schema of an event type's payload (its `payload()` return type)."""
    payload_type = get_type_hints(event.payload)["return"]
    schema: dict[str, Any] = TypeAdapter(payload_type).json_schema()
    return schema


def catalogue() -> str:
    """The catalogue as Markdown."""
    parts = [HEADER]
    for name, event in EVENT_TYPES.items():
        doc = (event.__doc__ or "").strip()
        if doc.startswith(f"{event.__name__}("):  # the signature dataclasses write
            doc = ""
        schema = json.dumps(payload_schema(event), indent=2, sort_keys=True)
        parts.append(f"## `{name}`\n\n{doc}\n\n```json\n{schema}\n```\n")
    return "\n".join(parts)
