"""Per-tenant and per-user limits on API requests and WebSocket frames (issue 11, "Load and noisy
neighbours"): a flood is answered with 429 + Retry-After / an error frame saying when to retry,
while other tenants and users are served; after retry_after the flooder is served again.

Each test runs a daphne of its own with small limits (the test settings have none)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from apps.accounts.actions import do_issue_api_token
from apps.accounts.models import User
from apps.core.ratelimit import FrameLimiter
from tests.conftest import PASSWORD, TenantInfo
from tests.load import Poller, Reply, burst, request, start_web, statuses
from tests.processes import wait_until
from tests.ws import open_ws, recv_json, run_async

ME = "/api/v1/me"  # any signed-in user may read it


def web(name: str, **limits: float) -> Iterator[int]:
    env = {key: str(value) for key, value in limits.items()}
    proc, port = start_web(name, env)
    yield port
    proc.stop()


@pytest.fixture(scope="module")
def user_limited_web(django_db_setup: None) -> Iterator[int]:
    yield from web("daphne-user-limits", API_RATE_LIMIT_USER=1, API_RATE_LIMIT_TENANT=0, RATE_LIMIT_BURST_SECONDS=4)


@pytest.fixture(scope="module")
def tenant_limited_web(django_db_setup: None) -> Iterator[int]:
    yield from web("daphne-tenant-limits", API_RATE_LIMIT_TENANT=2, API_RATE_LIMIT_USER=0, RATE_LIMIT_BURST_SECONDS=4)


@pytest.fixture(scope="module")
def frame_limited_web(django_db_setup: None) -> Iterator[int]:
    yield from web(
        "daphne-frame-limits", WS_FRAME_RATE_LIMIT_USER=10, WS_FRAME_RATE_LIMIT_TENANT=0, RATE_LIMIT_BURST_SECONDS=1
    )


def add_user(info: TenantInfo, email: str) -> User:
    with schema_context(info.schema_name):
        return User.objects.create_user(email=email, password=PASSWORD, full_name="Colleague", role="agent")


def token_of(info: TenantInfo, user: User) -> str:
    with schema_context(info.schema_name):
        return do_issue_api_token(user)


def session_cookie(info: TenantInfo, email: str) -> str:
    client = Client(HTTP_HOST=info.host)
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return f"sessionid={client.cookies['sessionid'].value}"


def split(outcomes: list[Reply | BaseException]) -> tuple[list[Reply], list[Reply]]:
    assert all(isinstance(o, Reply) and o.status in (200, 429) for o in outcomes), statuses(outcomes)
    replies = [o for o in outcomes if isinstance(o, Reply)]
    return [r for r in replies if r.status == 200], [r for r in replies if r.status == 429]


def assert_says_when_to_retry(refused: Reply) -> int:
    error = refused.body["error"]
    assert error["code"] == "rate_limited" and error["message"]
    assert isinstance(error["retry_after"], int) and error["retry_after"] >= 1
    assert refused.headers["retry-after"] == str(error["retry_after"])
    return int(error["retry_after"])


def test_one_users_flood_is_refused_while_a_colleague_and_another_tenant_are_served(
    user_limited_web: int, tenant_a: TenantInfo, tenant_b: TenantInfo
) -> None:
    port = user_limited_web  # 1 request/s per user, bursts of 4
    owner = token_of(tenant_a, tenant_a.owner)
    colleague = token_of(tenant_a, add_user(tenant_a, f"colleague@{tenant_a.subdomain}.test"))
    other_tenant = token_of(tenant_b, tenant_b.owner)

    # The other tenant's owner asks at most once a second: within the limit all along.
    with Poller(lambda: request(port, tenant_b.host, ME, other_tenant), pause=1.1) as elsewhere:
        started = time.monotonic()
        served, refused = split(burst(lambda: request(port, tenant_a.host, ME, owner), total=24, in_flight=6))
        elapsed = time.monotonic() - started
        colleague_replies = [request(port, tenant_a.host, ME, colleague).status for _ in range(3)]

    assert 1 <= len(served) <= 4 + 1 * elapsed + 1, (len(served), elapsed)
    assert len(refused) >= 10
    retry_after = max(assert_says_when_to_retry(r) for r in refused)
    assert colleague_replies == [200, 200, 200]
    assert elsewhere.outcomes and statuses(elsewhere.outcomes) == {"200": len(elsewhere.outcomes)}

    # Honouring retry_after is enough to be served again.
    wait_until(lambda: request(port, tenant_a.host, ME, owner).status == 200, retry_after + 2, "the owner")


def test_a_tenants_flood_is_refused_for_all_its_users_while_another_tenant_is_served(
    tenant_limited_web: int, tenant_a: TenantInfo, tenant_b: TenantInfo
) -> None:
    port = tenant_limited_web  # 2 requests/s per tenant, bursts of 8
    tokens = [token_of(tenant_a, tenant_a.owner)]
    tokens += [token_of(tenant_a, add_user(tenant_a, f"agent{n}@{tenant_a.subdomain}.test")) for n in range(3)]
    other_tenant = token_of(tenant_b, tenant_b.owner)
    turn = iter(range(10**6))

    def any_user_of_a() -> Reply:
        return request(port, tenant_a.host, ME, tokens[next(turn) % len(tokens)])

    with Poller(lambda: request(port, tenant_b.host, ME, other_tenant), pause=0.6) as elsewhere:
        started = time.monotonic()
        served, refused = split(burst(any_user_of_a, total=40, in_flight=8))
        elapsed = time.monotonic() - started

    assert 1 <= len(served) <= 8 + 2 * elapsed + 1, (len(served), elapsed)
    assert len(refused) >= 15
    retry_after = max(assert_says_when_to_retry(r) for r in refused)
    assert elsewhere.outcomes and statuses(elsewhere.outcomes) == {"200": len(elsewhere.outcomes)}
    wait_until(lambda: any_user_of_a().status == 200, retry_after + 2, "tenant A")


def test_a_flood_of_frames_gets_error_frames_on_an_open_socket_while_others_are_served(
    frame_limited_web: int, tenant_a: TenantInfo, tenant_b: TenantInfo
) -> None:
    port = frame_limited_web  # 10 frames/s per user per process, bursts of 10
    colleague = add_user(tenant_a, f"colleague@{tenant_a.subdomain}.test")
    cookies = {
        "flooder": session_cookie(tenant_a, tenant_a.email),
        "colleague": session_cookie(tenant_a, colleague.email),
        "elsewhere": session_cookie(tenant_b, tenant_b.email),
    }
    hosts = {"flooder": tenant_a.host, "colleague": tenant_a.host, "elsewhere": tenant_b.host}

    async def scenario() -> dict[str, Any]:
        socks = {who: await open_ws(port, hosts[who], cookie=cookie) for who, cookie in cookies.items()}
        for ws in socks.values():
            assert (await recv_json(ws, 10))["type"] == "hello"

        async def pings(who: str, count: int, pause: float) -> list[dict[str, Any]]:
            ws = socks[who]
            if pause == 0:  # a flood: everything at once, then the answers
                for n in range(count):
                    await ws.send(f'{{"type": "ping", "seq": {n}}}')
                return [await recv_json(ws, 10) for _ in range(count)]
            answers = []
            for n in range(count):
                await ws.send(f'{{"type": "ping", "seq": {n}}}')
                answers.append(await recv_json(ws, 10))
                await asyncio.sleep(pause)  # a person's pace, within the limit
            return answers

        started = time.monotonic()
        flood, colleague_answers, elsewhere_answers = await asyncio.gather(
            pings("flooder", 60, 0), pings("colleague", 4, 0.15), pings("elsewhere", 4, 0.15)
        )
        elapsed = time.monotonic() - started
        retry_after = max(a.get("retry_after", 0) for a in flood)
        # The socket is still open, and after retry_after it is served again.
        deadline = time.monotonic() + retry_after + 2
        answer: dict[str, Any] = {}
        while time.monotonic() < deadline:
            await socks["flooder"].send('{"type": "ping", "seq": -1}')
            answer = await recv_json(socks["flooder"], 10)
            if answer["type"] == "pong":
                break
            await asyncio.sleep(0.1)
        for ws in socks.values():
            await ws.close()
        return {
            "flood": flood,
            "elapsed": elapsed,
            "colleague": colleague_answers,
            "elsewhere": elsewhere_answers,
            "after": answer,
        }

    result = run_async(scenario())
    flood = result["flood"]
    pongs = [a for a in flood if a["type"] == "pong"]
    refusals = [a for a in flood if a["type"] == "error"]
    assert len(pongs) + len(refusals) == 60
    assert 1 <= len(pongs) <= 10 + 10 * result["elapsed"] + 1, (len(pongs), result["elapsed"])
    assert len(refusals) >= 30
    for refusal in refusals:
        assert refusal["code"] == "rate_limited" and refusal["message"]
        assert isinstance(refusal["retry_after"], int) and refusal["retry_after"] >= 1
    assert [a["type"] for a in result["colleague"]] == ["pong"] * 4
    assert [a["type"] for a in result["elsewhere"]] == ["pong"] * 4
    assert result["after"] == {"type": "pong", "seq": -1}


def test_frame_limits_per_tenant_and_per_user_in_one_process(settings: Any) -> None:
    settings.WS_FRAME_RATE_LIMIT_TENANT = 5
    settings.WS_FRAME_RATE_LIMIT_USER = 3
    settings.RATE_LIMIT_BURST_SECONDS = 1
    limiter = FrameLimiter()
    # One user: 3 frames at once, then refused with the time until the next one (1/3 s).
    assert [limiter.wait("t_a", "u1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert 0 < limiter.wait("t_a", "u1") <= 1 / 3
    # The tenant: 5 frames at once whoever sends them; another tenant has its own.
    assert [limiter.wait("t_a", "u2") for _ in range(2)] == [0.0, 0.0]
    assert 0 < limiter.wait("t_a", "u3") <= 1 / 5
    assert limiter.wait("t_b", "u1") == 0.0
