"""Tenants never see each other: HTTP sessions and tokens, WebSockets, channel-layer events,
Celery tasks and media-worker requests each stay in their own tenant."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.test import Client
from websockets.exceptions import ConnectionClosed, InvalidStatus

from apps.core.events import send_event, tenant_group, user_group
from tests.conftest import TenantInfo, WebServer
from tests.ws import open_ws, recv_json, recv_nothing, run_async


def login(info: TenantInfo) -> Client:
    client = Client(HTTP_HOST=info.host)
    response = client.post("/login/", {"username": info.email, "password": info.password})
    assert response.status_code == 302, response.content
    return client


def session_cookie(client: Client) -> str:
    return f"sessionid={client.cookies['sessionid'].value}"


def test_user_of_a_cannot_sign_in_on_b(tenant_a: TenantInfo, tenant_b: TenantInfo) -> None:
    client = Client(HTTP_HOST=tenant_b.host)
    response = client.post("/login/", {"username": tenant_a.email, "password": tenant_a.password})
    assert response.status_code == 200
    assert "Wrong email or password." in response.content.decode()
    token = client.post(
        "/api/v1/auth/token", {"email": tenant_a.email, "password": tenant_a.password}, content_type="application/json"
    )
    assert token.status_code == 401
    assert token.json()["error"]["code"] == "bad_credentials"


def test_session_and_token_of_a_are_worthless_on_b(tenant_a: TenantInfo, tenant_b: TenantInfo) -> None:
    a = login(tenant_a)
    assert a.get("/").status_code == 200
    assert a.get("/api/v1/me").json()["email"] == tenant_a.email
    # The same session cookie presented on B's host.
    stolen = Client(HTTP_HOST=tenant_b.host)
    stolen.cookies["sessionid"] = a.cookies["sessionid"].value
    dashboard = stolen.get("/")
    assert dashboard.status_code == 302 and "/login/" in dashboard["Location"]
    assert stolen.get("/api/v1/me").status_code in (401, 403)
    # A's API token on B's host.
    token = a.post(
        "/api/v1/auth/token", {"email": tenant_a.email, "password": tenant_a.password}, content_type="application/json"
    ).json()["token"]
    response = Client(HTTP_HOST=tenant_b.host).get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 401
    assert Client(HTTP_HOST=tenant_a.host).get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_unknown_host_gets_a_clear_404() -> None:
    response = Client(HTTP_HOST="nobody-here.localhost").get("/api/v1/me")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_host"
    page = Client(HTTP_HOST="nobody-here.localhost").get("/")
    assert page.status_code == 404 and "No contact center here" in page.content.decode()


def test_template_schema_is_not_reachable_as_a_tenant() -> None:
    from apps.tenants.models import Domain, Tenant

    template = Tenant.objects.get(schema_name="tenant_template")
    Domain.objects.create(domain="sneaky.localhost", tenant=template, is_primary=False)
    assert Client(HTTP_HOST="sneaky.localhost").get("/login/").status_code == 404


def test_websocket_needs_a_session_of_that_tenant(
    web_server: WebServer, tenant_a: TenantInfo, tenant_b: TenantInfo
) -> None:
    cookie = session_cookie(login(tenant_a))

    async def scenario() -> None:
        ws = await open_ws(web_server.port, tenant_a.host, cookie=cookie)
        hello = await recv_json(ws)
        assert hello["type"] == "hello" and hello["tenant"] == tenant_a.schema_name
        assert hello["user"] == {"id": tenant_a.owner.pk, "email": tenant_a.email}
        await ws.close()
        # A's cookie on B's host: closed as unauthenticated.
        ws = await open_ws(web_server.port, tenant_b.host, cookie=cookie)
        with pytest.raises(ConnectionClosed) as closed:
            await recv_json(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        # No cookie at all.
        ws = await open_ws(web_server.port, tenant_a.host)
        with pytest.raises(ConnectionClosed):
            await recv_json(ws)
        # An unknown host is refused at the handshake.
        with pytest.raises(InvalidStatus) as refused:
            await open_ws(web_server.port, "nobody-here.localhost", cookie=cookie)
        assert refused.value.response.status_code == 403
        # A page on another site cannot open the socket with the user's cookie.
        ws = await open_ws(web_server.port, tenant_a.host, cookie=cookie, origin="http://evil.example")
        with pytest.raises(ConnectionClosed) as closed:
            await recv_json(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403

    run_async(scenario())


def test_event_in_a_never_reaches_b(web_server: WebServer, tenant_a: TenantInfo, tenant_b: TenantInfo) -> None:
    # Each tenant's first user has the same primary key: only the schema prefix tells them apart.
    assert tenant_a.owner.pk == tenant_b.owner.pk
    cookie_a, cookie_b = session_cookie(login(tenant_a)), session_cookie(login(tenant_b))

    async def scenario() -> None:
        ws_a = await open_ws(web_server.port, tenant_a.host, cookie=cookie_a)
        ws_b = await open_ws(web_server.port, tenant_b.host, cookie=cookie_b)
        await recv_json(ws_a)
        await recv_json(ws_b)
        event = {"type": "agent.state", "agent_id": 1, "state": "for A only", "reason": None, "since": "now"}
        await asyncio.to_thread(
            send_event,
            tenant_a.schema_name,
            event,
            [tenant_group(tenant_a.schema_name), user_group(tenant_a.schema_name, 1)],
        )
        assert await recv_json(ws_a) == event
        assert await recv_json(ws_a) == event  # once per group: tenant-wide and the user's own
        await recv_nothing(ws_b)
        # The control: B's socket does receive what is sent to B.
        await asyncio.to_thread(
            send_event,
            tenant_b.schema_name,
            {"type": "agent.state", "agent_id": 1, "state": "B", "reason": None, "since": "now"},
            [user_group(tenant_b.schema_name, 1)],
        )
        assert (await recv_json(ws_b))["state"] == "B"
        await recv_nothing(ws_a, within=0.3)
        await ws_a.close()
        await ws_b.close()

    run_async(scenario())


def test_events_cannot_be_addressed_to_another_tenants_group(tenant_a: TenantInfo, tenant_b: TenantInfo) -> None:
    with pytest.raises(ValueError, match="not in tenant"):
        send_event(tenant_a.schema_name, {"type": "auth.changed", "reason": "x"}, [user_group(tenant_b.schema_name, 1)])


def test_bad_frames_get_error_frames_and_the_socket_stays_open(web_server: WebServer, tenant_a: TenantInfo) -> None:
    cookie = session_cookie(login(tenant_a))

    async def scenario() -> None:
        ws = await open_ws(web_server.port, tenant_a.host, cookie=cookie)
        await recv_json(ws)
        for frame, code in [
            ("not json", "bad_frame"),
            ("[1]", "bad_frame"),
            ('{"type": 5}', "bad_frame"),
            ('{"type": "nope"}', "unknown_type"),
            ('{"type":"ping","pad":"' + "x" * 70000 + '"}', "frame_too_large"),
        ]:
            await ws.send(frame)
            reply = await recv_json(ws)
            assert reply["type"] == "error" and reply["code"] == code, reply
        await ws.send('{"type": "ping", "seq": 7}')
        assert await recv_json(ws) == {"type": "pong", "seq": 7}
        await ws.close()

    run_async(scenario())


def test_celery_task_runs_in_the_tenant_that_queued_it(
    celery_worker: Any, tenant_a: TenantInfo, tenant_b: TenantInfo
) -> None:
    from django_tenants.utils import schema_context

    from apps.core.tasks import tenant_diagnostics

    with schema_context(tenant_a.schema_name):
        result_a = tenant_diagnostics.delay()
    with schema_context(tenant_b.schema_name):
        result_b = tenant_diagnostics.delay()
    a, b = result_a.get(timeout=20), result_b.get(timeout=20)
    assert a == {"schema": tenant_a.schema_name, "current_schema": tenant_a.schema_name, "users": [tenant_a.email]}
    assert b == {"schema": tenant_b.schema_name, "current_schema": tenant_b.schema_name, "users": [tenant_b.email]}


def test_task_queued_from_async_code_runs_in_the_named_tenant(celery_worker: Any, tenant_a: TenantInfo) -> None:
    from django.db import connection

    from apps.core.tasks import aenqueue_in_tenant, tenant_diagnostics

    async def from_event_loop() -> Any:
        # The loop thread's connection is on the public schema, as in a consumer.
        assert connection.schema_name == "public"
        return await aenqueue_in_tenant(tenant_a.schema_name, tenant_diagnostics)

    result = run_async(from_event_loop())
    assert result.get(timeout=20)["schema"] == tenant_a.schema_name


def test_media_worker_answers_a_ping_in_the_tenant_that_sent_it(
    media_worker: Any, tenant_a: TenantInfo, tenant_b: TenantInfo
) -> None:
    from apps.media.protocol import ping_media_worker, request_media

    async def scenario() -> tuple[dict[str, Any], ...]:
        return await asyncio.gather(
            ping_media_worker(tenant_a.schema_name),
            ping_media_worker(tenant_b.schema_name),
            request_media("t_does_not_exist", {"type": "media.ping"}),
        )

    a, b, unknown = run_async(scenario())
    assert (a["type"], a["schema"], a["current_schema"], a["tenant_name"]) == (
        "media.pong",
        tenant_a.schema_name,
        tenant_a.schema_name,
        "Alpha Ltd",
    )
    assert (b["schema"], b["current_schema"], b["tenant_name"]) == (
        tenant_b.schema_name,
        tenant_b.schema_name,
        "Beta Inc",
    )
    assert unknown["type"] == "media.error" and unknown["code"] == "unknown_tenant"
