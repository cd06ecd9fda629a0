"""Messaging's real parts: a Celery worker of the `messaging` queue that calls the providers' APIs at a
local fake provider (one HTTP server answering as Twilio, Meta's Graph API, WeChat and Telegram do,
recording every call), and a web server that trusts 127.0.0.1 as its TLS-terminating proxy (the
`X-Forwarded-Proto: https` a Twilio signature over an https URL needs). Deliveries to the webhook are
signed in the tests from the channel's known secrets, as each provider signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy as email_policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.db import connection

from apps.accounts.models import User
from apps.messaging.actions import do_save_channel
from apps.messaging.models import MessagingChannel
from apps.routing.models import Queue
from tests.conftest import CeleryWorker, WebServer, create_tenant
from tests.processes import Proc, free_port, port_open, python, wait_until

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def parts(self) -> dict[str, tuple[str, bytes]]:
        """A multipart/form-data body: name -> (file name or "", bytes)."""
        message = BytesParser(policy=email_policy.default).parsebytes(
            f"Content-Type: {self.headers.get('Content-Type', '')}\r\n\r\n".encode() + self.body
        )
        found: dict[str, tuple[str, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            found[str(name)] = (part.get_filename() or "", part.get_payload(decode=True) or b"")
        return found

    @property
    def is_multipart(self) -> bool:
        return self.headers.get("Content-Type", "").startswith("multipart/form-data")


@dataclass
class FakeProvider:
    port: int
    calls: list[Call] = field(default_factory=list)
    # path regex -> [(status, body)] answered in turn before the normal answer
    script: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sent(
        self,
        pattern: str,
        count: int = 1,
        timeout: float = 30,
        method: str = "POST",
        where: Callable[[Call], bool] = lambda c: True,
    ) -> list[Call]:
        """The calls whose path matches `pattern` (and `where`), once there are `count`."""

        def found() -> list[Call]:
            with self.lock:
                return [c for c in self.calls if c.method == method and re.search(pattern, c.path) and where(c)]

        wait_until(lambda: len(found()) >= count, timeout, f"{count} call(s) to {pattern}")
        return found()

    def answer(self, call: Call) -> tuple[int, Any, str]:
        with self.lock:
            for pattern, queue in self.script.items():
                if re.search(pattern, call.path) and queue:
                    status, body = queue.pop(0)
                    return status, body, "application/json"
        n = next(self.ids)
        path = call.path
        if re.fullmatch(r"/2010-04-01/Accounts/\w+/Messages\.json", path):
            return 201, {"sid": f"SM{n:032d}", "status": "queued"}, "application/json"
        if path == "/v20.0/me/messages":
            to = json.loads(call.parts["recipient"][1]) if call.is_multipart else call.json["recipient"]
            return 200, {"recipient_id": to["id"], "message_id": f"m_{n}"}, "application/json"
        if re.fullmatch(r"/v20\.0/\w+/media", path):
            return 200, {"id": f"wamedia{n}"}, "application/json"
        if re.fullmatch(r"/v20\.0/\w+/messages", path):
            return 200, {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.{n}"}]}, "application/json"
        if re.fullmatch(r"/v20\.0/media\w*", path):
            return (
                200,
                {"url": f"{self.base}/files/{path.rsplit('/', 1)[1]}.png", "mime_type": "image/png"},
                "application/json",
            )
        if path.startswith("/files/"):
            return 200, PNG, "image/png"
        if path == "/cgi-bin/token":
            return 200, {"access_token": f"wx-token-{n}", "expires_in": 7200}, "application/json"
        if path == "/cgi-bin/message/custom/send":
            return 200, {"errcode": 0, "errmsg": "ok"}, "application/json"
        if path == "/cgi-bin/media/get":
            return 200, PNG, "image/png"
        if path == "/cgi-bin/media/upload":
            return 200, {"type": call.query["type"][0], "media_id": f"WXMEDIA{n}", "created_at": 1}, "application/json"
        if re.fullmatch(r"/bot[^/]+/(sendMessage|sendPhoto|sendDocument)", path):
            return 200, {"ok": True, "result": {"message_id": 1000 + n}}, "application/json"
        if re.fullmatch(r"/bot[^/]+/getFile", path):
            return 200, {"ok": True, "result": {"file_path": "photos/file_1.png"}}, "application/json"
        if re.fullmatch(r"/file/bot[^/]+/photos/file_1\.png", path):
            return 200, PNG, "image/png"
        return 404, {"error": {"message": "unknown path"}}, "application/json"


@pytest.fixture(scope="package")
def provider() -> Iterator[FakeProvider]:
    state = FakeProvider(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            call = Call(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body)
            with state.lock:
                state.calls.append(call)
            status, answer, kind = state.answer(call)
            data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="package")
def messaging_worker(django_db_setup: None, provider: FakeProvider) -> Iterator[CeleryWorker]:
    worker = CeleryWorker("messaging", env={"MESSAGING_API_BASE": provider.base})
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(scope="package")
def proxied_web(django_db_setup: None) -> Iterator[WebServer]:
    """The web process as it runs behind a TLS-terminating proxy on this host."""
    port = free_port()
    proc = Proc(
        "daphne-behind-proxy",
        python("-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "ccaas.asgi:application"),
        env={"PUBLIC_PORT": str(port), "TRUSTED_PROXIES": "127.0.0.1/32"},
        ready=lambda: port_open(port),
    ).start()
    yield WebServer(port=port, proc=proc)
    proc.stop()


SECRETS = {
    "twilio": {"account_sid": "AC" + "1" * 32, "auth_token": "twilio-auth-token"},
    "whatsapp": {"access_token": "wa-access", "app_secret": "meta-app-secret"},
    "messenger": {"access_token": "page-access", "app_secret": "meta-app-secret-2"},
    "wechat": {"app_secret": "wx-secret", "token": "wx-token"},
    "telegram": {"bot_token": "123456:BOT-TOKEN", "secret_token": "tg-secret"},
}
ADDRESSES = {
    "twilio": "+14155550100",
    "whatsapp": "1098765",
    "messenger": "5551212",
    "wechat": "wx0123456789",
    "telegram": "acme_bot",
}


@dataclass
class Connected:
    schema: str
    subdomain: str
    channel: MessagingChannel
    web: WebServer

    @property
    def host(self) -> str:
        return f"{self.subdomain}.localhost:{self.web.port}"

    def url(self, query: str = "") -> str:
        """The webhook's public URL (what providers call and sign)."""
        return f"http://{self.host}/hooks/messaging/{self.channel.key}/{query}"

    def post(self, body: bytes, headers: dict[str, str], query: str = "") -> requests.Response:
        return call_tenant("POST", self.web, self.host, f"/hooks/messaging/{self.channel.key}/{query}", body, headers)

    def get(self, query: str) -> requests.Response:
        return call_tenant("GET", self.web, self.host, f"/hooks/messaging/{self.channel.key}/{query}", b"", {})


def call_tenant(
    method: str, web: WebServer, host: str, path: str, body: bytes, headers: dict[str, str]
) -> requests.Response:
    """A request to the web process for `host` (names under .localhost do not resolve here)."""
    url = f"http://127.0.0.1:{web.port}{path}"
    return requests.request(method, url, data=body, headers={**headers, "Host": host}, timeout=10)


def connect(provider_name: str, web: WebServer, templates: list[dict[str, str]] | None = None) -> Connected:
    connection.set_schema_to_public()
    info = create_tenant("msg", "Acme Messaging")
    connection.set_schema(info.schema_name)
    owner = User.objects.get(email=info.email)
    channel = do_save_channel(
        owner,
        {
            "provider": provider_name,
            "name": f"Acme {provider_name}",
            "address": ADDRESSES[provider_name],
            "queue": Queue.objects.get(name="Support").pk,
            "secrets": SECRETS[provider_name],
            "templates": templates or [],
        },
    )
    connection.set_schema_to_public()
    return Connected(info.schema_name, info.subdomain, channel, web)


# --- signing, as each provider does ------------------------------------------------------------------


def meta_headers(body: bytes, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}


def twilio_signed(url: str, fields: dict[str, str], token: str) -> tuple[bytes, dict[str, str]]:
    from apps.messaging.providers.twilio import signature

    body = urlencode(fields).encode()
    sig = signature(token, url, list(fields.items()))
    return body, {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig}


def wechat_query(token: str, *, at: int | None = None, nonce: str = "n0nce") -> str:
    stamp = str(int(time.time()) if at is None else at)
    sig = hashlib.sha1("".join(sorted([token, stamp, nonce])).encode()).hexdigest()
    return f"?signature={sig}&timestamp={stamp}&nonce={nonce}"


def whatsapp_text(wa_id: str, text: str, msg_id: str, name: str = "Ana Souza", number_id: str = "1098765") -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "WABA",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"phone_number_id": number_id},
                                "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                                "messages": [
                                    {
                                        "from": wa_id,
                                        "id": msg_id,
                                        "timestamp": str(int(time.time())),
                                        "type": "text",
                                        "text": {"body": text},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def whatsapp_status(msg_id: str, status: str, number_id: str = "1098765") -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "WABA",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"phone_number_id": number_id},
                                "statuses": [
                                    {
                                        "id": msg_id,
                                        "status": status,
                                        "timestamp": str(int(time.time())),
                                        "recipient_id": "x",
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()
