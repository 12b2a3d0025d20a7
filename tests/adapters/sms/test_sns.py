"""The SNS SMS sender on a moto server: what it asks SNS for, its one client, its failures.

The SmsSender contract (tests/contract/test_sms_sender.py) covers what every sender does.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import boto3
import pytest
from botocore.config import Config

from carehub.adapters.sms.sns import SmsDeliveryFailed, SnsSmsSender, sns_sms_sender_from_url
from carehub.kernel.sms import SmsMessage
from tests.support.moto import aws_client

pytestmark = pytest.mark.aws

OTP = SmsMessage(to="+51987654321", text="Tu código es 482913", purpose="identity.otp")


class RecordingConnect:
    """Makes moto clients that note the parameters of every Publish they send."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.clients = 0
        self.published: list[dict[str, Any]] = []

    def __call__(self) -> Any:
        self.clients += 1
        client = aws_client("sns", self.endpoint)
        client.meta.events.register("provide-client-params.sns.Publish", self._record)
        return client

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.published.append(params)


@pytest.fixture
def connect(moto_endpoint: str) -> RecordingConnect:
    return RecordingConnect(moto_endpoint)


async def test_publishes_transactional_sms_with_the_sender_id(connect: RecordingConnect) -> None:
    sender = SnsSmsSender(connect, sender_id="CareHub")
    await sender.send(OTP)
    await sender.close()

    assert connect.published == [
        {
            "PhoneNumber": OTP.to,
            "Message": OTP.text,
            "MessageAttributes": {
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "CareHub"},
            },
        }
    ]


async def test_one_client_made_on_the_first_send_and_again_after_close(
    connect: RecordingConnect,
) -> None:
    sender = SnsSmsSender(connect)
    assert connect.clients == 0

    await asyncio.gather(*(sender.send(OTP) for _ in range(10)))
    assert connect.clients == 1
    assert "AWS.SNS.SMS.SenderID" not in connect.published[0]["MessageAttributes"]

    await sender.close()
    await sender.close()
    await sender.send(OTP)
    await sender.close()
    assert connect.clients == 2


async def test_a_refusal_from_sns_gives_its_code_but_not_the_number(
    connect: RecordingConnect,
) -> None:
    sender = SnsSmsSender(connect)
    too_long = SmsMessage(to=OTP.to, text="x" * 1601)  # SNS's limit is 1,600 bytes

    with pytest.raises(SmsDeliveryFailed) as raised:
        await sender.send(too_long)
    await sender.close()

    assert raised.value.aws_code == "InvalidParameter"
    assert OTP.to.removeprefix("+") not in str(raised.value)
    assert raised.value.__suppress_context__


async def test_an_unreachable_endpoint_raises_delivery_failed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = Config(retries={"max_attempts": 1}, connect_timeout=2)

    def connect() -> Any:
        return boto3.client(
            "sns",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    with pytest.raises(SmsDeliveryFailed) as raised:
        await SnsSmsSender(connect).send(OTP)

    assert raised.value.aws_code is None
    assert "EndpointConnectionError" in str(raised.value)


# --- sns_sms_sender_from_url ----------------------------------------------------------------


async def test_a_sender_from_a_url(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    sender = sns_sms_sender_from_url(
        "sns://?region=eu-west-1&sender_id=Clinica-1", endpoint_url=moto_endpoint
    )
    settings = {key.lstrip("_"): value for key, value in vars(sender).items()}
    lazy = settings["client"]
    assert vars(lazy)["_client"] is None  # nothing made before the first send

    await sender.send(OTP)
    client = vars(lazy)["_client"]
    await sender.close()

    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url == moto_endpoint
    assert settings["attributes"]["AWS.SNS.SMS.SenderID"]["StringValue"] == "Clinica-1"


@pytest.mark.parametrize(
    "url",
    [
        "sqs://?region=us-east-1",
        "sns://somewhere?region=us-east-1",
        "sns:///topic?region=us-east-1",
        "sns://?region=us-east-1&colour=blue",
        "sns://?region=",
        "sns://?region=us-east-1&sender_id=",
        "sns://?sender_id=Care%20Hub",
        "sns://?sender_id=TwelveLetter",
        "sns://?sender_id=12345",
        "sns://?sender_id=-CareHub",
    ],
)
def test_a_url_it_cannot_use_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        sns_sms_sender_from_url(url)
