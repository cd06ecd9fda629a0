"""Accounts' browser tests: a real SMTP server (aiosmtpd) and a web server (daphne) that sends its
mail there through Django's SMTP backend."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest

from tests.conftest import WebServer
from tests.inbox.conftest import shop  # noqa: F401  (the fixture: a shop's page that embeds the widget)
from tests.processes import Proc, free_port, port_open, python, wait_until


@dataclass
class SmtpServer:
    port: int
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if address in (m.get("To") or "")]

    def wait_for(self, address: str, count: int = 1, timeout: float = 20) -> Message:
        """The `count`th message to `address`, once it has arrived."""
        wait_until(lambda: len(self.to(address)) >= count, timeout, f"mail #{count} to {address}")
        return self.to(address)[count - 1]


def text_body(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/plain part")


def link_in(message: Message, pattern: str) -> str:
    match = re.search(pattern, text_body(message))
    assert match, text_body(message)
    return match.group(0)


@pytest.fixture(scope="package")
def smtp_server() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    server = SmtpServer(port=free_port())

    class Handler:
        async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
            with server.lock:
                server.messages.append(message_from_bytes(envelope.content))
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    controller.stop()


@pytest.fixture(scope="package")
def mail_web(django_db_setup: None, smtp_server: SmtpServer) -> Iterator[WebServer]:
    port = free_port()
    proc = Proc(
        "daphne-accounts",
        python("-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "ccaas.asgi:application"),
        env={
            "PUBLIC_PORT": str(port),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_server.port),
        },
        ready=lambda: port_open(port),
    ).start()
    yield WebServer(port=port, proc=proc)
    proc.stop()
