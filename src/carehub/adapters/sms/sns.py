"""SMS through Amazon SNS: each message is published straight to its phone number.

Configured by a URL whose options are all in the query:

    sns://?region=eu-west-1&sender_id=CareHub

- `region`: the AWS region that sends (default: boto3's own lookup).
- `sender_id`: the alphanumeric sender shown on the phone, where the country allows one
  (1 to 11 letters, digits or inner hyphens, at least one letter).

Credentials come from boto3's usual chain (environment, profile, task or instance role),
never from the URL. Every message goes as Transactional: they are codes and reminders, which
SNS then routes for reliability rather than cost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlsplit

import structlog
from botocore.config import Config

from carehub.adapters.aws.clients import LazyClient, connector
from carehub.adapters.aws.errors import AwsFailure
from carehub.kernel.sms import SmsMessage, is_e164

log = structlog.get_logger("carehub.sms")

_SENDER_ID = re.compile(r"(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]{0,9}[A-Za-z0-9])?")
# As many HTTP connections as the default executor has threads, so no send waits for one.
_CONNECTIONS = 32


class SmsDeliveryFailed(AwsFailure):
    """SNS could not be reached, or refused the message."""


class SnsSmsSender:
    """Publishes each message to its phone number through SNS, with one boto3 client made by
    `connect` on the first send (not before: building a client reads configuration)."""

    def __init__(self, connect: Callable[[], Any], *, sender_id: str | None = None) -> None:
        if sender_id is not None and not _SENDER_ID.fullmatch(sender_id):
            raise ValueError("SMS sender_id must be 1-11 letters, digits or inner hyphens")
        self._client = LazyClient(connect, service="SNS", failure=SmsDeliveryFailed)
        self._attributes = {"AWS.SNS.SMS.SMSType": _string("Transactional")}
        if sender_id is not None:
            self._attributes["AWS.SNS.SMS.SenderID"] = _string(sender_id)

    async def send(self, message: SmsMessage) -> None:
        """Hand the message to SNS; raises `SmsDeliveryFailed` unless SNS accepted it."""
        if not is_e164(message.to):
            raise ValueError("SMS recipient is not an E.164 phone number")
        # The failure keeps only AWS's code: its messages may quote the phone number.
        await self._client.call("SMS", partial(self._publish, message=message))
        log.info("sms.sent", purpose=message.purpose)

    async def close(self) -> None:
        """Close the client's connections; a later send makes a new client."""
        await self._client.close()

    def _publish(self, sns: Any, *, message: SmsMessage) -> None:
        sns.publish(
            PhoneNumber=message.to, Message=message.text, MessageAttributes=self._attributes
        )


def sns_sms_sender_from_url(url: str, *, endpoint_url: str | None = None) -> SnsSmsSender:
    """An SMS sender for `sns://?region=eu-west-1&sender_id=CareHub`; `endpoint_url` points
    it at something other than AWS (a local emulator in tests)."""
    parts = urlsplit(url)
    if parts.scheme != "sns":
        raise ValueError(f"SMS URL scheme must be sns, not {parts.scheme!r}")
    if parts.netloc or parts.path.strip("/"):
        raise ValueError("SMS URL takes its settings as query options: sns://?region=...")
    options = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(options) - {"region", "sender_id"}
    if unknown:
        raise ValueError(f"SMS URL has unknown options: {sorted(unknown)}")
    if not all(options.values()):
        raise ValueError("SMS URL has empty options")
    config = Config(max_pool_connections=_CONNECTIONS)
    connect = connector(
        "sns", region=options.get("region"), endpoint_url=endpoint_url, config=config
    )
    return SnsSmsSender(connect, sender_id=options.get("sender_id"))


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}
