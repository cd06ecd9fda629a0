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
