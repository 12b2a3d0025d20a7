"""Webhook subscriptions and deliveries on the wire. The secret is write-only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from carehub.web.schemas import CursorPage, WireModel
from carehub.web.text import ONE_LINE, OPAQUE
from carehub.webhooks.model import (
    MAX_SECRET_LENGTH,
    MAX_URL_LENGTH,
    MIN_SECRET_LENGTH,
    DeliveryAttempt,
    DeliveryRecord,
    WebhookSubscription,
)

EventType = Annotated[str, StringConstraints(min_length=1, max_length=128), ONE_LINE]


class WebhookCreate(WireModel):
    url: Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH), ONE_LINE] = (
        Field(description="An http(s) URL without credentials that resolves to a public address.")
    )
    event_types: list[EventType] = Field(
        min_length=1,
        max_length=100,
        description='Event types to deliver, such as `patients.patient_registered.v1`, or "*".',
    )
    secret: Annotated[
        str,
        StringConstraints(min_length=MIN_SECRET_LENGTH, max_length=MAX_SECRET_LENGTH),
        OPAQUE,
    ] = Field(
        description="Key of the `X-Carehub-Signature` HMAC-SHA256; never shown again.",
    )


class WebhookRead(WireModel):
    id: str
    url: str
    event_types: list[str]
    status: str = Field(description="`active`, or `paused` after too many failures in a row.")
    consecutive_failures: int
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, subscription: WebhookSubscription) -> WebhookRead:
        return cls(
            id=subscription.id,
            url=subscription.url,
            event_types=list(subscription.event_types),
            status=subscription.status.value,
            consecutive_failures=subscription.consecutive_failures,
            created_by=subscription.created_by,
            created_at=subscription.created_at,
            updated_at=subscription.updated_at,
        )


class WebhookPage(CursorPage[WebhookRead]):
    """One page of webhook subscriptions."""


class AttemptRead(WireModel):
    attempt: int
    at: datetime
    status_code: int | None = Field(description="The receiver's answer; null without one.")
    latency_ms: float
    error: str | None = Field(description="Why no answer came (timeouts, refused addresses).")

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> AttemptRead:
        return cls(
            attempt=attempt.attempt,
            at=attempt.at,
            status_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            error=attempt.error,
        )


class DeliveryRead(WireModel):
    id: str
    event_id: str
    event_type: str
    status: str = Field(description="`pending`, `delivered`, or `failed` after the last retry.")
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    attempts: list[AttemptRead]

    @classmethod
    def of(cls, record: DeliveryRecord) -> DeliveryRead:
        delivery = record.delivery
        return cls(
            id=delivery.id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            status=delivery.status.value,
            next_attempt_at=None if delivery.finished_at else delivery.next_attempt_at,
            created_at=delivery.created_at,
            finished_at=delivery.finished_at,
            attempts=[AttemptRead.of(a) for a in record.attempts],
        )


class DeliveryPage(CursorPage[DeliveryRead]):
    """One page of a subscription's deliveries, newest first."""
