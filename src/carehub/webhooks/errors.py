"""Errors of the webhooks domain."""

from __future__ import annotations

from carehub.kernel.errors import FieldError, Forbidden, Invalid, NotFound


class SubscriptionNotFound(NotFound):
    def __init__(self, subscription_id: str) -> None:
        super().__init__(f"Webhook subscription {subscription_id} does not exist")


class WebhooksForbidden(Forbidden):
    def __init__(self) -> None:
        super().__init__("Only admins manage webhooks")


class UrlRefused(Invalid):
    """The URL is malformed, not http(s), or points at an address webhooks may not reach."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"url {reason}", errors=[FieldError("url", reason)])


class UnknownEventType(Invalid):
    def __init__(self, index: int, event_type: str) -> None:
        reason = f'{event_type} is not a known event type (or "*" for all)'
        super().__init__(
            f"eventTypes: {reason}", errors=[FieldError(f"eventTypes[{index}]", reason)]
        )
