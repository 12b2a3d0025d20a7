"""One contract for every Mailer: the folder of .eml files and SMTP against a real server."""

from __future__ import annotations

import asyncio
import email
import socket
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from structlog.testing import capture_logs

from carehub.adapters.mail import folder as folder_module
from carehub.adapters.mail import smtp as smtp_module
from carehub.adapters.mail.folder import FolderMailer
from carehub.adapters.mail.smtp import MailDeliveryFailed, SmtpMailer, smtp_mailer_from_url
from carehub.kernel.mail import Mailer, MailMessage

# aiosmtpd warns (from its own thread, on each connection) that the test server allows
# AUTH without TLS; that is the point of a loopback test server.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

OTP = MailMessage(
    to="ana.lopez@example.org",
    subject="Tu código de acceso",
    text="Hola Ana,\nCódigo: 123456\nCaduca en 10 minutos.\n",
    purpose="identity.otp",
)
USER, PASSWORD = "clinic", "s3cret:/@pass"


@dataclass
class Received:
    recipients: list[str]
    email: EmailMessage


@dataclass
class StoringHandler:
    """An aiosmtpd handler that keeps every envelope, optionally refusing or stalling."""

    envelopes: list[Envelope] = field(default_factory=list)
    refuse_recipients: bool = False
    delay: float = 0.0

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.refuse_recipients:
            return f"550 5.1.1 <{address}>: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def authenticate(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data == (USER.encode(), PASSWORD.encode())
    # handled=False lets aiosmtpd answer a failure with 535 instead of hanging up.
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class SmtpServer:
    handler: StoringHandler
    port: int
    requires_login: bool

    def client(self, **overrides: Any) -> SmtpMailer:
        """A mailer for this server, with the right credentials unless overridden."""
        options: dict[str, Any] = {"timeout": 5}
        if self.requires_login:
            options |= {"username": USER, "password": PASSWORD}
        return SmtpMailer("127.0.0.1", self.port, **(options | overrides))


@contextmanager
def running_smtp_server(*, requires_login: bool) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback; it may demand a login (over plain TCP, as tests do)."""
    handler = StoringHandler()
    port = free_port()
    options: dict[str, Any] = {}
    if requires_login:
        options = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpServer(handler, port, requires_login)
    finally:
        controller.stop()


@pytest.fixture(params=[False, True], ids=["plain", "login"])
def smtp_server(request: pytest.FixtureRequest) -> Iterator[SmtpServer]:
    with running_smtp_server(requires_login=request.param) as server:
        yield server


@dataclass
class Harness:
    mailer: Mailer
    received: Callable[[], list[Received]]


def parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(message: EmailMessage) -> str:
    """The decoded text, with the wire's CRLF line endings turned back into newlines."""
    content: str = message.get_content()
    return content.replace("\r\n", "\n")


@pytest.fixture(params=["folder", "smtp-plain", "smtp-login"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "folder":
        folder = tmp_path / "mail" / "outbox"

        def read_folder() -> list[Received]:
            emails = [parse(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]
            return [Received([str(e["To"])], e) for e in emails]

        yield Harness(FolderMailer(folder), read_folder)
        return
    with running_smtp_server(requires_login=request.param == "smtp-login") as server:

        def read_server() -> list[Received]:
            return [
                Received(list(e.rcpt_tos), parse(bytes(e.original_content or b"")))
                for e in server.handler.envelopes
            ]

        yield Harness(server.client(), read_server)


# --- the contract ---------------------------------------------------------------------------


async def test_delivers_recipient_subject_and_utf8_body(harness: Harness) -> None:
    await harness.mailer.send(OTP)

    [received] = harness.received()
    assert received.recipients == [OTP.to]
    assert received.email["To"] == OTP.to
    assert received.email["From"] == "carehub <no-reply@carehub.invalid>"
    assert received.email["Subject"] == OTP.subject
    assert received.email["Message-ID"].endswith("@carehub.invalid>")
    assert received.email["Date"].datetime is not None
    assert body(received.email) == OTP.text
    assert "Código: 123456" in body(received.email)


async def test_each_message_is_delivered_on_its_own(harness: Harness) -> None:
    second = MailMessage(to="bo@example.org", subject="Cita", text="Mañana", purpose="reminder")
    await harness.mailer.send(OTP)
    await harness.mailer.send(second)

    received = harness.received()
    assert sorted(r.email["To"] for r in received) == sorted([OTP.to, second.to])
    assert len({r.email["Message-ID"] for r in received}) == 2


@pytest.fixture(autouse=True)
def fresh_loggers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Uncached loggers, so capture_logs sees them whatever ran before (carehub's logging
    caches a logger's configuration on first use)."""
    for module in (folder_module, smtp_module):
        monkeypatch.setattr(module, "log", structlog.get_logger("carehub.mail"))


async def test_logs_purpose_but_never_recipient_subject_or_text(harness: Harness) -> None:
    with capture_logs() as logs:
        await harness.mailer.send(OTP)

    assert [entry["purpose"] for entry in logs] == ["identity.otp"]
    logged = repr(logs)
    for secret in (OTP.to, "ana", OTP.subject, "123456", "Código"):
        assert secret not in logged


# --- the folder -----------------------------------------------------------------------------


async def test_folder_writes_owner_only_eml_named_by_time(tmp_path: Path) -> None:
    folder = tmp_path / "created" / "on-demand"
    with capture_logs() as logs:
        await FolderMailer(folder, sender="Clínica <mail@clinic.example>").send(OTP)

    [path] = folder.iterdir()  # no temporary file left behind
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.suffix == ".eml"
    assert path.name[:8].isdigit()
    assert path.name[8] == "T"
    assert logs == [
        {"event": "mail.written", "purpose": "identity.otp", "file": path.name, "log_level": "info"}
    ]
    written = parse(path.read_bytes())
    assert written["From"] == "Clínica <mail@clinic.example>"
    assert written["Message-ID"].endswith("@clinic.example>")
    assert path.name.removesuffix(".eml").rpartition("-")[2] in written["Message-ID"]
    assert b"\r\n" in path.read_bytes()  # RFC 5322 line endings


# --- SMTP -----------------------------------------------------------------------------------


async def test_smtp_logs_sent(smtp_server: SmtpServer) -> None:
    with capture_logs() as logs:
        await smtp_server.client().send(OTP)

    assert logs == [{"event": "mail.sent", "purpose": "identity.otp", "log_level": "info"}]


async def test_smtp_does_not_block_the_event_loop(smtp_server: SmtpServer) -> None:
    smtp_server.handler.delay = 0.3
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await smtp_server.client().send(OTP)
    ticker.cancel()

    assert ticks >= 10


async def test_unreachable_server_raises_delivery_failed() -> None:
    mailer = SmtpMailer("127.0.0.1", free_port(), timeout=2)

    with pytest.raises(MailDeliveryFailed) as raised:
        await mailer.send(OTP)

    assert raised.value.smtp_code is None


async def test_refused_recipient_raises_without_naming_it(smtp_server: SmtpServer) -> None:
    smtp_server.handler.refuse_recipients = True
    mailer = smtp_server.client()

    with pytest.raises(MailDeliveryFailed) as raised:
        await mailer.send(OTP)

    assert raised.value.smtp_code == 550
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    assert OTP.to not in str(raised.value)
    assert smtp_server.handler.envelopes == []


@pytest.mark.parametrize(
    ("username", "password", "code"),
    [(USER, "wrong", 535), (None, None, 530)],
    ids=["wrong-password", "anonymous"],
)
async def test_server_demanding_login_refuses_bad_credentials(
    username: str | None, password: str | None, code: int
) -> None:
    with running_smtp_server(requires_login=True) as server:
        mailer = server.client(username=username, password=password)
        with pytest.raises(MailDeliveryFailed) as raised:
            await mailer.send(OTP)

    assert raised.value.smtp_code == code
    assert server.handler.envelopes == []


# --- smtp_mailer_from_url -------------------------------------------------------------------


def settings(mailer: SmtpMailer) -> dict[str, object]:
    return {key.lstrip("_"): value for key, value in vars(mailer).items()}


def test_url_with_credentials_and_starttls() -> None:
    mailer = smtp_mailer_from_url(
        "smtp://clinic%40example.org:p%40ss%3Aw%2Frd@mail.example:2525?starttls=true"
    )

    assert settings(mailer) == {
        "host": "mail.example",
        "port": 2525,
        "username": "clinic@example.org",
        "password": "p@ss:w/rd",
        "starttls": True,
        "use_tls": False,
        "sender": "carehub <no-reply@carehub.invalid>",
        "timeout": 10,
    }


@pytest.mark.parametrize(
    ("url", "port", "starttls", "use_tls"),
    [
        ("smtps://mail.example:465", 465, False, True),
        ("smtps://mail.example", 465, False, True),
        ("smtp://localhost", 25, False, False),
        ("smtp://localhost:1025?starttls=false", 1025, False, False),
        ("smtp://mail.example?starttls=1", 587, True, False),
    ],
)
def test_url_ports_and_tls(url: str, port: int, starttls: bool, use_tls: bool) -> None:
    mailer = settings(smtp_mailer_from_url(url))

    assert (mailer["port"], mailer["starttls"], mailer["use_tls"]) == (port, starttls, use_tls)
    assert mailer["username"] is None
    assert mailer["password"] is None


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter2@mail.example",
        "smtp://user:hunter2@:25",
        "smtp://user:hunter2@mail.example?starttls=maybe",
        "smtp://user:hunter2@mail.example?tls=true",
        "smtps://user:hunter2@mail.example?starttls=true",
    ],
)
def test_bad_urls_are_refused_without_echoing_the_password(url: str) -> None:
    with pytest.raises(ValueError) as raised:
        smtp_mailer_from_url(url)

    assert "hunter2" not in str(raised.value)
