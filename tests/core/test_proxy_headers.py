"""Client addresses behind a proxy (issue 11, section 4): X-Forwarded-For counts only when a trusted
proxy sends it, so the sign-up rate limit cannot be reset by changing the header. The web process is
started exactly as the Procfile starts it."""

from __future__ import annotations

import http.client
import json
import os
import random
import shlex
from collections.abc import Iterator

import pytest

from apps.core.keys import redis_key
from apps.core.redis import get_redis
from tests.processes import ROOT, Proc, free_port, port_open

LIMIT = 3
PROXY = "127.0.0.2"  # the trusted proxy; tests on loopback, where all of 127/8 is this machine


@pytest.fixture(scope="module")
def procfile_web() -> Iterator[int]:
    line = next(li for li in (ROOT / "Procfile").read_text().splitlines() if li.startswith("web:"))
    port = free_port()
    proc = Proc(
        "daphne-procfile",
        ["bash", "-c", "exec " + line.removeprefix("web:").strip()],
        env={
            "PORT": str(port),
            "WEB_BIND": "127.0.0.1",
            "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "TRUSTED_PROXIES": f"{PROXY}/32,10.99.0.0/16",
            "SIGNUP_RATE_LIMIT_PER_HOUR": str(LIMIT),
        },
        ready=lambda: port_open(port),
    ).start()
    yield port
    proc.stop()


def signup(port: int, forwarded_for: str | None, source: str = "127.0.0.1") -> int:
    """An invalid sign-up (counted by the limit before it is checked): 400, or 429 once limited."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    headers = {"Host": f"localhost:{port}", "Content-Type": "application/json"}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    try:
        conn.request("POST", "/api/v1/signup", body=json.dumps({"company_name": ""}), headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def spoofed() -> str:
    return f"203.0.{random.randint(0, 255)}.{random.randint(1, 254)}"


def forget(address: str) -> None:
    get_redis().delete(redis_key("public", "rate", "signup", "".join(c if c.isalnum() else "-" for c in address)))


def test_a_client_cannot_reset_the_signup_limit_by_changing_x_forwarded_for(procfile_web: int) -> None:
    forget("127.0.0.1")
    statuses = [signup(procfile_web, spoofed()) for _ in range(LIMIT + 2)]
    assert statuses == [400] * LIMIT + [429, 429], shlex.join(map(str, statuses))
    # Without the header too: the same client, still limited.
    assert signup(procfile_web, None) == 429


def test_a_trusted_proxy_names_the_client(procfile_web: int) -> None:
    customer, other = spoofed(), spoofed()
    forget(customer), forget(other), forget(PROXY)
    assert [signup(procfile_web, customer, source=PROXY) for _ in range(LIMIT + 1)] == [400] * LIMIT + [429]
    # Another client behind the same proxy has its own allowance.
    assert signup(procfile_web, other, source=PROXY) == 400
    # Addresses the client wrote to the left of what the proxies added prove nothing: the customer is
    # still limited, whatever it prepends; a chain of trusted proxies is walked through.
    assert signup(procfile_web, f"{spoofed()}, {customer}", source=PROXY) == 429
    assert signup(procfile_web, f"{spoofed()}, {customer}, 10.99.3.4", source=PROXY) == 429
    assert signup(procfile_web, f"{other}, 10.99.3.4", source=PROXY) == 400
