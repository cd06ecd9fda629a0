"""Presence follows the desktop: when every tab of an agent is gone the agent is made offline within
30 s (real daphne, Celery worker and beat), and their ringing offer moves to another agent."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.agents.models import AgentProfile, AgentState
from apps.inbox.actions import do_open_interaction
from apps.inbox.models import Interaction
from apps.routing.models import Offer, Queue
from tests.conftest import PASSWORD, TenantInfo, WebServer, create_tenant
from tests.processes import Proc, python
from tests.ws import open_ws, recv_json, run_async


@pytest.fixture
def celery_beat(celery_worker: Any) -> Iterator[Proc]:
    schedule = tempfile.mkdtemp() + "/beat"
    proc = Proc("beat", python("-m", "celery", "-A", "ccaas", "beat", "--loglevel=info", f"--schedule={schedule}"))
    proc.start()
    yield proc
    proc.stop()


def make_agent(info: TenantInfo, name: str, queue: Queue) -> tuple[AgentProfile, str]:
    user = User.objects.create_user(email=f"{name}@{info.subdomain}.test", password=PASSWORD, role="agent")
    agent = ensure_agent_profile(user)
    queue.members.add(agent)
    client = Client(HTTP_HOST=info.host)
    assert client.post("/login/", {"username": user.email, "password": PASSWORD}).status_code == 302
    return agent, f"sessionid={client.cookies['sessionid'].value}"


def test_agent_whose_tabs_are_all_gone_goes_offline_and_offers_move_on(
    web_server: WebServer, celery_beat: Proc
) -> None:
    info = create_tenant("p")
    connection.set_schema(info.schema_name)
    queue = Queue.objects.get(name="Support")  # every new tenant starts with it
    queue.offer_timeout_seconds = 300
    queue.save()
    gone, gone_cookie = make_agent(info, "gone", queue)
    stays, stays_cookie = make_agent(info, "stays", queue)

    async def scenario() -> float:
        ws_gone = await open_ws(web_server.port, info.host, cookie=gone_cookie)
        tab1 = await open_ws(web_server.port, info.host, cookie=stays_cookie)
        tab2 = await open_ws(web_server.port, info.host, cookie=stays_cookie)
        for ws in (ws_gone, tab1, tab2):
            assert (await recv_json(ws))["agent"]["state"] == "offline"
        await ws_gone.send('{"type": "agent.set_state", "state": "available"}')
        frames = {f["type"]: f for f in [await recv_json(ws_gone), await recv_json(ws_gone)]}
        assert frames["agent.state.ok"] == {"type": "agent.state.ok", "state": "available"}
        assert frames["agent.state"] == {
            "type": "agent.state",
            "agent_id": gone.pk,
            "state": "available",
            "reason": None,
            "since": await _since(info.schema_name, gone.pk),
        }
        # The ringing offer reaches the desktop.
        await asyncio.to_thread(_enqueue, info.schema_name, queue.pk)
        offer = await recv_json(ws_gone)
        assert offer["type"] == "offer.created"
        await tab1.send('{"type": "agent.set_state", "state": "available"}')
        await recv_json(tab1)
        await recv_json(tab1)
        # One of two tabs closes; the other keeps beating. The first agent's only tab dies.
        await tab2.close()
        await ws_gone.close()
        closed_at = time.monotonic()
        for _ in range(35):
            await tab1.send('{"type": "heartbeat"}')
            await asyncio.sleep(1)
            if await asyncio.to_thread(_state, info.schema_name, gone.pk) == "offline":
                break
        took = time.monotonic() - closed_at
        await tab1.close()
        return took

    took = run_async(scenario())
    connection.set_schema(info.schema_name)
    gone.refresh_from_db()
    stays.refresh_from_db()
    assert gone.state == AgentState.OFFLINE and took < 30, took
    assert gone.presence_history.last().cause == "disconnect"  # type: ignore[union-attr]
    assert stays.state == AgentState.AVAILABLE  # one tab left alive keeps the agent
    interaction = Interaction.objects.get()
    assert Offer.objects.get(interaction=interaction, agent=gone).status == "cancelled"
    assert Offer.objects.get(interaction=interaction, status="pending").agent_id == stays.pk


async def _since(schema: str, agent_id: int) -> str:
    def read() -> str:
        connection.set_schema(schema)
        return AgentProfile.objects.get(pk=agent_id).state_since.isoformat()

    return await asyncio.to_thread(read)


def _enqueue(schema: str, queue_id: int) -> None:
    connection.set_schema(schema)
    do_open_interaction(channel="chat", queue=Queue.objects.get(pk=queue_id))


def _state(schema: str, agent_id: int) -> str:
    connection.set_schema(schema)
    return str(AgentProfile.objects.get(pk=agent_id).state)
