"""One HTTP POST of a delivery, to the address `targets.resolve` checked: the connection goes to that
IP (the Host header and the TLS server name stay the written host, and the certificate is checked
against it). Redirects are not followed (a 3xx is a failure the log shows): a redirect could point at a
private address. The whole exchange is bounded by WEBHOOK_TIMEOUT."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from django.conf import settings

from .targets import Target

READ_LIMIT = 64 * 1024  # of the answer, read at most this much (the log keeps less)
USER_AGENT = "CCaaS-Webhooks/1"


@dataclass
class Answer:
    status: int | None
    body: str
    error: str
    duration_ms: int


class _Pinned(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._ip = target.ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._ip = target.ip

    def connect(self) -> None:
        raw = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def post(target: Target, body: bytes, headers: dict[str, str]) -> Answer:
    timeout = float(settings.WEBHOOK_TIMEOUT)
    started = time.monotonic()
    deadline = started + timeout
    conn: http.client.HTTPConnection = (
        _PinnedTLS(target, timeout) if target.scheme == "https" else _Pinned(target, timeout)
    )

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        conn.request(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        response = conn.getresponse()
        chunks: list[bytes] = []
        size = 0
        while size < READ_LIMIT:
            if time.monotonic() > deadline:
                late = f"Timed out after {timeout:g} s reading the answer."
                return Answer(response.status, _text(chunks), late, took())
            chunk = response.read1(READ_LIMIT - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return Answer(response.status, _text(chunks), "", took())
    except TimeoutError:
        return Answer(None, "", f"Timed out after {timeout:g} s.", took())
    except ssl.SSLError as exc:
        return Answer(None, "", f"TLS error: {exc.reason or exc}", took())
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, "", f"{type(exc).__name__}: {exc}"[:400], took())
    finally:
        conn.close()


def _text(chunks: list[bytes]) -> str:
    return b"".join(chunks).decode("utf-8", "replace")
