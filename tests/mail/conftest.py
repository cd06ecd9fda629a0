"""Email's real parts: the built-in SMTP receiver (`manage.py mail_receiver`), a Celery worker of the
`email` queue that sends through a real SMTP server (aiosmtpd) standing in for the platform's relay."""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from tests.conftest import CeleryWorker
from tests.processes import Proc, free_port, port_open, python, wait_until


@dataclass
class Sink:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    envelopes: dict[str, list[str]] = field(default_factory=dict)  # Message-ID -> RCPT TO (Bcc shows here only)

    def to(self, address: str, timeout: float = 30, count: int = 1, sent_by: str = "") -> list[EmailMessage]:
        """The mails to `address` (from a sender whose address contains `sent_by`: one tenant's), once
        there are `count`."""

        def found() -> list[EmailMessage]:
            with self.lock:
                return [
                    m for m in self.messages if address in str(m.get("To", "")) and sent_by in str(m.get("From", ""))
                ]

        wait_until(lambda: len(found()) >= count, timeout, f"{count} mail(s) to {address}")
        return found()


@pytest.fixture(scope="package")
def sink() -> Iterator[Sink]:
    from aiosmtpd.controller import Controller

    server = Sink(port=free_port())

    class Handler:
        async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
            mail = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[arg-type]
            with server.lock:
                server.messages.append(mail)  # type: ignore[arg-type]
                server.envelopes[str(mail.get("Message-ID", ""))] = list(envelope.rcpt_tos)
            return "250 Message accepted for delivery"

        async def handle_RCPT(self, smtp: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
            if address.startswith("nobody@"):
                return "550 5.1.1 No such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    controller.stop()


@pytest.fixture(scope="package")
def email_worker(django_db_setup: None, sink: Sink) -> Iterator[CeleryWorker]:
    worker = CeleryWorker(
        "email",
        env={
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink.port),
        },
    )
    worker.start()
    yield worker
    worker.stop()


@dataclass
class Receiver:
    port: int
    proc: Proc

    def send(self, raw: bytes, to: list[str], sender: str = "wu.lei@example.com") -> dict[str, Any]:
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            return client.sendmail(sender, to, raw)


@pytest.fixture(scope="package")
def receiver(django_db_setup: None, email_worker: CeleryWorker) -> Iterator[Receiver]:
    port = free_port()
    proc = Proc(
        "mail-receiver",
        python("manage.py", "mail_receiver", "--port", str(port)),
        env={"MAX_INBOUND_EMAIL_BYTES": str(2 * 1024 * 1024), "IMAP_IDLE_REFRESH_SECONDS": "1"},
        ready=lambda: port_open(port),
    ).start()
    yield Receiver(port=port, proc=proc)
    proc.stop()


@dataclass
class ImapServer:
    """A real IMAP server (pymap, in memory; it has IDLE) with one user; `deliver` puts a mail in a folder
    as the user's provider would."""

    port: int
    proc: Proc
    user: str = "support@alpha.example"
    password: str = "imap-secret"

    def client(self) -> Any:
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def deliver(self, raw: bytes, folder: str = "Support") -> None:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)
        finally:
            client.logout()


@pytest.fixture(scope="package")
def imap_server() -> Iterator[ImapServer]:
    port = free_port()
    user, password = "support@alpha.example", "imap-secret"
    proc = Proc(
        "pymap",
        python(
            "-c",
            "from pymap.main import main; main()",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-tls",
            "dict",
            "--demo-data",
            "--demo-user",
            user,
            "--demo-password",
            password,
        ),
        ready=lambda: port_open(port),
    ).start()
    yield ImapServer(port=port, proc=proc, user=user, password=password)
    proc.stop()
