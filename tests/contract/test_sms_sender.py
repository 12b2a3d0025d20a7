"""One contract for every SmsSender: the folder of JSON files, and SNS on the moto server.

What only one sender does is tested beside it, in tests/adapters/sms/.

moto keeps each SMS published to a phone number in its SNS backend; the tests' moto server
lists them at `SENT_SMS_PATH`, which is where the SNS runs look for what was delivered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from carehub.adapters.sms import folder as folder_module
from carehub.adapters.sms import sns as sns_module
from carehub.adapters.sms.folder import FolderSmsSender
from carehub.adapters.sms.sns import sns_sms_sender_from_url
from carehub.kernel.sms import SmsMessage, SmsSender
from tests.support.moto_process import SENT_SMS_PATH

OTP = SmsMessage(
    to="+51987654321",
    text="Clínica Miraflores: tu código es 482913. Caduca en 10 minutos.",
    purpose="identity.otp",
)
NOT_E164 = [
    "987654321",  # no +
    "+051987654321",  # a country code never starts with 0
    "+51 987 654 321",
    "+1234567",  # 7 digits
    "+1234567890123456",  # 16 digits
    "+٥١٩٨٧٦٥٤٣٢١",  # Arabic-Indic digits
    "+51987654321\n",
    "",
]


@dataclass(frozen=True, order=True)
class Delivered:
    to: str
    text: str


@dataclass
class Harness:
    sender: SmsSender
    delivered: Callable[[], Awaitable[list[Delivered]]]


async def moto_sms(endpoint: str) -> dict[str, Delivered]:
    """Every SMS the moto server has been asked to send, by message id."""
    async with httpx.AsyncClient(base_url=endpoint, timeout=10) as client:
        response = await client.get(SENT_SMS_PATH)
    response.raise_for_status()
    sent: dict[str, dict[str, str]] = response.json()
    return {key: Delivered(sms["phone_number"], sms["message"]) for key, sms in sent.items()}


@pytest.fixture(params=["folder", pytest.param("sns", marks=pytest.mark.aws)])
async def harness(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Harness]:
    if request.param == "folder":
        folder = tmp_path / "sms" / "outbox"

        async def read_folder() -> list[Delivered]:
            records = [json.loads(path.read_bytes()) for path in folder.glob("*.json")]
            return sorted(Delivered(r["to"], r["text"]) for r in records)

        yield Harness(FolderSmsSender(folder), read_folder)
        return
    endpoint: str = request.getfixturevalue("moto_endpoint")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # The moto server lives for the whole session: this test sees only what it sent.
    before = set(await moto_sms(endpoint))

    async def read_moto() -> list[Delivered]:
        return sorted(d for id_, d in (await moto_sms(endpoint)).items() if id_ not in before)

    sender = sns_sms_sender_from_url("sns://?region=us-east-1", endpoint_url=endpoint)
    try:
        yield Harness(sender, read_moto)
    finally:
        await sender.close()


@pytest.fixture(autouse=True)
def fresh_loggers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Uncached loggers, so capture_logs sees them whatever ran before (carehub's logging
    caches a logger's configuration on first use)."""
    for module in (folder_module, sns_module):
        monkeypatch.setattr(module, "log", structlog.get_logger("carehub.sms"))


# --- the contract ---------------------------------------------------------------------------


async def test_delivers_number_and_utf8_text(harness: Harness) -> None:
    await harness.sender.send(OTP)

    assert await harness.delivered() == [Delivered(OTP.to, OTP.text)]


@pytest.mark.parametrize("number", NOT_E164)
async def test_refuses_a_number_not_in_e164_and_delivers_nothing(
    harness: Harness, number: str
) -> None:
    with pytest.raises(ValueError, match=r"E\.164") as raised:
        await harness.sender.send(SmsMessage(to=number, text=OTP.text, purpose=OTP.purpose))

    assert not any(c.isdigit() for c in str(raised.value).replace("E.164", ""))  # no number
    assert await harness.delivered() == []


async def test_messages_sent_in_parallel_all_arrive(harness: Harness) -> None:
    sent = [
        SmsMessage(to=f"+3461200{i:04d}", text=f"Recordatorio {i}: cita mañana", purpose="remind")
        for i in range(20)
    ]

    await asyncio.gather(*(harness.sender.send(message) for message in sent))

    assert await harness.delivered() == sorted(Delivered(m.to, m.text) for m in sent)


async def test_logs_purpose_but_never_number_or_text(harness: Harness) -> None:
    with capture_logs() as logs:
        await harness.sender.send(OTP)

    assert [entry["purpose"] for entry in logs] == ["identity.otp"]
    logged = repr(logs)
    for secret in (OTP.to, OTP.to.removeprefix("+"), "987654321", "482913", "Miraflores"):
        assert secret not in logged
