"""Billing test fixtures: localstripe, an SMTP server, and a web server and Celery worker configured
for Stripe. All real processes (localstripe, daphne, celery) or a real server (aiosmtpd)."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest

from tests.conftest import WebServer
from tests.processes import Proc, free_port, port_open, python

SECRET_KEY = "sk_test_ccaas_billing"
PUBLISHABLE_KEY = "pk_test_ccaas_billing"
WEBHOOK_SECRET = "whsec_ccaas_billing_tests"


@dataclass
class LocalStripe:
    port: int
    proc: Proc

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.url,
        }

    def post(self, path: str, body: dict[str, Any], key: str = SECRET_KEY) -> tuple[int, dict[str, Any]]:
        """A raw call, as Stripe.js or Stripe itself would make it (not through our code)."""
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture(scope="package")
def localstripe(django_db_setup: None) -> Iterator[LocalStripe]:
    from django.test import override_settings

    port = free_port()
    proc = Proc(
        "localstripe",
        python("tests/billing/run_localstripe.py", "--port", str(port)),
        ready=lambda: port_open(port),
        ready_timeout=30,
    ).start()
    server = LocalStripe(port=port, proc=proc)
    env = server.env()
    # This test process: billing on, against localstripe (settings are read at call time).
    override = override_settings(
        STRIPE_SECRET_KEY=env["STRIPE_SECRET_KEY"],
        STRIPE_PUBLISHABLE_KEY=env["STRIPE_PUBLISHABLE_KEY"],
        STRIPE_WEBHOOK_SECRET=env["STRIPE_WEBHOOK_SECRET"],
        STRIPE_API_BASE=env["STRIPE_API_BASE"],
        STRIPE_JS_URL=f"{server.url}/js.stripe.com/v3/",
    )
    override.enable()
    yield server
    override.disable()
    proc.stop()


@dataclass
class SmtpServer:
    port: int
    messages: list[Message] = field(default_factory=list)

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in (m.get("To") or "")]


@pytest.fixture(scope="package")
def smtp_server() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    server = SmtpServer(port=free_port())
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
            with lock:
                server.messages.append(message_from_bytes(envelope.content))
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    controller.stop()


def _child_env(stripe: LocalStripe, smtp: SmtpServer, **extra: str) -> dict[str, str]:
    return {
        **stripe.env(),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        **extra,
    }


@pytest.fixture(scope="package")
def billing_web(localstripe: LocalStripe, smtp_server: SmtpServer) -> Iterator[WebServer]:
    """daphne configured for Stripe (localstripe) and SMTP, with localstripe posting its signed
    webhooks to our public endpoint."""
    port = free_port()
    proc = Proc(
        "daphne-billing",
        python("-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "ccaas.asgi:application"),
        env=_child_env(localstripe, smtp_server, PUBLIC_PORT=str(port)),
        ready=lambda: port_open(port),
    ).start()
    status, _ = localstripe.post(
        "/_config/webhooks/ccaas",
        {"url": f"http://localhost:{port}/billing/webhooks/stripe/", "secret": WEBHOOK_SECRET},
    )
    assert status == 200
    yield WebServer(port=port, proc=proc)
    proc.stop()


@dataclass
class BillingWorker:
    queue: str
    proc: Proc

    def run(self, task: Any, *args: Any, timeout: float = 60) -> Any:
        """Run `task` on this worker (its own queue: no other test worker can take it)."""
        return task.apply_async(args=args, queue=self.queue).get(timeout=timeout)


@pytest.fixture(scope="package")
def billing_worker(localstripe: LocalStripe, smtp_server: SmtpServer) -> Iterator[BillingWorker]:
    from tests.conftest import _celery_ping

    queue = f"billing-test-{uuid.uuid4().hex[:8]}"
    proc = Proc(
        "celery-billing",
        python(
            "-m",
            "celery",
            "-A",
            "ccaas",
            "worker",
            "-P",
            "solo",
            "-Q",
            queue,
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{queue}@%h",
            "--loglevel=info",
        ),
        env=_child_env(localstripe, smtp_server),
        ready=_celery_ping,
        ready_timeout=45,
    ).start()
    yield BillingWorker(queue=queue, proc=proc)
    proc.stop()
