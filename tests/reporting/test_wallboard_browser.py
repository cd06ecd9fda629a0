"""The live wallboard in Chromium (issue 14): a supervisor watches a queue; a customer starts waiting
and an agent signs in, and the tiles and the agents' table change without a reload (pushed once per
change by a real Celery worker); a queue over its longest-wait limit turns red; the tile opens on the
waiting customers and the queue's agents; a supervisor made an agent loses the board at once. The
state is also the API's `GET /api/v1/reports/realtime`; agents may not open the socket."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from apps.accounts.actions import do_change_user_role
from apps.accounts.models import User
from apps.agents.actions import do_set_agent_state, ensure_agent_profile
from apps.agents.models import AgentState
from apps.inbox.actions import do_open_interaction
from apps.routing.models import Queue
from tests.conftest import PASSWORD, CeleryWorker, TenantInfo, WebServer
from tests.ws import open_ws, recv_json, run_async


def test_the_wallboard_follows_the_contact_center_live(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo, reports_worker: CeleryWorker
) -> None:
    connection.set_schema(tenant_a.schema_name)
    queue = Queue.objects.get(name="Support")
    sue = User.objects.create_user(
        email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor", full_name="Sue Boss"
    )
    ann = ensure_agent_profile(
        User.objects.create_user(
            email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent", full_name="Ann"
        )
    )
    queue.members.add(ann)
    connection.set_schema_to_public()

    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(15000)
    page.goto(web_server.url("/login/", subdomain=tenant_a.subdomain))
    page.fill("input[name=username]", sue.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/")
    page.get_by_test_id("main-nav").get_by_role("link", name="Wallboard").click()
    expect(page.locator("#wb-status")).to_have_text("Live")
    tile = page.locator(f'.wb-tile[data-queue="{queue.pk}"]')
    expect(tile.locator('[data-key="waiting"]')).to_have_text("0")
    ann_row = page.locator(f'#wb-agents tr[data-agent="{ann.pk}"]')
    expect(ann_row.locator(".wb-state")).to_have_text("offline")

    # An agent signs in and a customer starts waiting: both appear without a reload.
    connection.set_schema(tenant_a.schema_name)
    do_set_agent_state(ann, AgentState.AWAY)
    do_open_interaction(channel="chat", queue=queue, subject="Where is my parcel?")
    connection.set_schema_to_public()
    expect(tile.locator('[data-key="waiting"]')).to_have_text("1")
    expect(tile.locator('[data-key="offered"]')).to_have_text("1")
    expect(ann_row.locator(".wb-state")).to_have_text("away")
    expect(tile.locator('[data-key="agents"]')).to_contain_text("away 1")
    expect(tile).not_to_have_class("wb-tile card alert")

    # The queue's limit: a wait over 1 s turns the tile red (the page counts the wait itself).
    owner = Client(HTTP_HOST=tenant_a.host)
    assert owner.post("/login/", {"username": tenant_a.email, "password": PASSWORD}).status_code == 302
    bad = owner.put(f"/api/v1/reports/realtime/queues/{queue.pk}/alert", json.dumps({"longest_wait_seconds": 0}),
                    content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "longest_wait_seconds" in bad.json()["error"]["fields"]
    ok = owner.put(f"/api/v1/reports/realtime/queues/{queue.pk}/alert", json.dumps({"longest_wait_seconds": 1}),
                   content_type="application/json")  # fmt: skip
    assert ok.status_code == 200
    expect(tile).to_have_class("wb-tile card alert")
    realtime = owner.get("/api/v1/reports/realtime").json()
    mine = next(q for q in realtime["queues"] if q["id"] == queue.pk)
    assert (mine["waiting"], mine["longest_wait_alert_seconds"], mine["agents"]["away"]) == (1, 1, 1)

    # Drill-down: who waits, and the queue's agents.
    tile.click()
    detail = page.get_by_test_id("wb-detail")
    expect(detail).to_be_visible()
    expect(detail.locator("#wb-detail-waiting li")).to_have_count(1)
    expect(detail.locator("#wb-detail-waiting li")).to_contain_text("Chat #")
    expect(detail.locator("#wb-detail-agents li")).to_have_text(["Ann · away"])
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()
    page.screenshot(path="test-artifacts/wallboard.png", full_page=True)

    # Sue is made an agent: the board closes and the page says she may not see it.
    connection.set_schema(tenant_a.schema_name)
    do_change_user_role(sue, "agent", actor=tenant_a.owner)
    connection.set_schema_to_public()
    expect(page.locator("h1")).not_to_have_text("Wallboard", timeout=15000)
    assert owner.get("/wallboard/").status_code == 200
    page.context.close()


def test_agents_may_not_open_the_wallboard(web_server: WebServer, tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    User.objects.create_user(email=f"al@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    connection.set_schema_to_public()
    al = Client(HTTP_HOST=tenant_a.host)
    assert al.post("/login/", {"username": f"al@{tenant_a.subdomain}.test", "password": PASSWORD}).status_code == 302
    assert al.get("/wallboard/").status_code == 403
    assert al.get("/api/v1/reports/realtime").status_code == 403
    cookie = f"sessionid={al.cookies['sessionid'].value}"
    origin = f"http://{tenant_a.host}:{web_server.port}"

    async def attempt() -> Any:
        ws = await open_ws(web_server.port, tenant_a.host, path="/ws/wallboard/", cookie=cookie, origin=origin)
        try:
            return await recv_json(ws)
        except Exception as exc:  # closed with a code instead of a frame
            return getattr(ws, "close_code", None) or exc

    assert run_async(attempt()) == 4403


def test_a_wallboard_gets_only_its_own_tenants_states(
    web_server: WebServer, tenant_a: TenantInfo, tenant_b: TenantInfo, reports_worker: CeleryWorker
) -> None:
    """Both tenants' supervisors watch their boards; a customer waits in A: A's board gets a state that
    counts them, B's gets nothing at all (no state of A's, not even an empty one). A session of A on B's
    host opens nothing."""
    from tests.ws import recv_nothing

    def cookie_of(tenant: TenantInfo) -> str:
        client = Client(HTTP_HOST=tenant.host)
        assert client.post("/login/", {"username": tenant.email, "password": PASSWORD}).status_code == 302
        return f"sessionid={client.cookies['sessionid'].value}"

    a_cookie, b_cookie = cookie_of(tenant_a), cookie_of(tenant_b)
    connection.set_schema(tenant_a.schema_name)
    queue = Queue.objects.get(name="Support")
    connection.set_schema_to_public()

    async def watch() -> tuple[dict[str, Any], dict[str, Any], Any]:
        a_ws = await open_ws(web_server.port, tenant_a.host, "/ws/wallboard/", a_cookie,
                             f"http://{tenant_a.host}:{web_server.port}")  # fmt: skip
        b_ws = await open_ws(web_server.port, tenant_b.host, "/ws/wallboard/", b_cookie,
                             f"http://{tenant_b.host}:{web_server.port}")  # fmt: skip
        a_first, b_first = await recv_json(a_ws), await recv_json(b_ws)
        assert a_first["type"] == b_first["type"] == "wallboard.state"

        def open_one() -> None:
            connection.set_schema(tenant_a.schema_name)
            do_open_interaction(channel="chat", queue=queue, subject="Only A's")
            connection.set_schema_to_public()

        import asyncio

        await asyncio.get_running_loop().run_in_executor(None, open_one)
        while True:  # A's board: a state that counts the customer
            a_state = await recv_json(a_ws, timeout=15)
            if any(q["waiting"] for q in a_state["state"]["queues"]):
                break
        await recv_nothing(b_ws, within=2.0)  # B's board: nothing of A's
        # A's session on B's host: refused before anything is joined.
        crossed = await open_ws(web_server.port, tenant_b.host, "/ws/wallboard/", a_cookie,
                                f"http://{tenant_b.host}:{web_server.port}")  # fmt: skip
        try:
            outcome: Any = await recv_json(crossed)
        except Exception as exc:
            outcome = getattr(crossed, "close_code", None) or exc
        for ws in (a_ws, b_ws):
            await ws.close()
        return a_state, b_first, outcome

    a_state, b_first, crossed = run_async(watch())
    assert {q["name"] for q in a_state["state"]["queues"]} >= {"Support"}
    assert not any(q["waiting"] for q in b_first["state"]["queues"])
    assert crossed in (4401, 4403)
