"""A web process dies mid-conversation and comes back: both sides catch up from the last seq they
saw, with nothing lost and nothing twice. Two daphne processes stand in for a load-balanced pair:
the customer is on one, the agent on the other."""

from __future__ import annotations

import json
import signal
from typing import Any

from django.db import connection
from django.test import Client

from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState
from tests.conftest import PASSWORD
from tests.inbox.conftest import make_center
from tests.processes import Proc, free_port, port_open, python
from tests.ws import open_ws, recv_json, run_async

SHOP = "http://127.0.0.1:9"


def daphne(name: str, port: int) -> Proc:
    return Proc(
        name,
        python("-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "ccaas.asgi:application"),
        env={"PUBLIC_PORT": str(port)},
        ready=lambda: port_open(port),
    )


async def until(ws: Any, frame_type: str) -> dict[str, Any]:
    """The next frame of this type (events such as offer.ended may come in between)."""
    while True:
        frame = await recv_json(ws, 10)
        if frame["type"] == frame_type:
            return frame


async def collect(ws: Any, until: int, kind: str) -> list[dict[str, Any]]:
    """Frames of `kind` ('message') until the seq reaches `until`."""
    got: list[dict[str, Any]] = []
    while not got or got[-1]["seq"] < until:
        frame = await recv_json(ws, 10)
        if frame["type"] in {"message", "message.note"}:
            got.append(frame["message"])
    return got


def test_both_sides_catch_up_after_a_web_process_restart() -> None:
    cc = make_center(SHOP, agents=1)
    connection.set_schema(cc.info.schema_name)
    do_set_agent_state(cc.agents[0], AgentState.AVAILABLE)
    connection.set_schema_to_public()
    p1, p2 = free_port(), free_port()
    web1, web2 = daphne("web1", p1).start(), daphne("web2", p2).start()
    host = cc.info.host
    agent_http = Client(HTTP_HOST=host)
    agent_http.post("/login/", {"username": f"agent1@{cc.info.subdomain}.test", "password": PASSWORD})
    cookie = f"sessionid={agent_http.cookies['sessionid'].value}"

    async def customer_socket(port: int, **hello: Any) -> tuple[Any, dict[str, Any]]:
        ws = await open_ws(port, host, path="/ws/widget/", origin=f"http://{host}:{port}")
        await ws.send(json.dumps({"type": "hello", "key": cc.key.public_key, "origin": SHOP, **hello}))
        return ws, await recv_json(ws)

    async def agent_socket(port: int) -> Any:
        ws = await open_ws(port, host, cookie=cookie)
        await recv_json(ws)  # hello
        return ws

    async def scenario() -> dict[str, Any]:
        customer, welcome = await customer_socket(p1)
        agent = await agent_socket(p2)
        await customer.send(json.dumps({"type": "message.send", "body": "c1"}))
        started = await recv_json(customer)
        interaction_id = started["interaction"]["id"]
        offer = await until(agent, "offer.created")
        await agent.send(json.dumps({"type": "offer.accept", "offer_id": offer["offer"]["id"]}))
        while (await recv_json(agent))["type"] != "offer.accept.ok":
            pass
        await agent.send(json.dumps({"type": "interaction.open", "interaction_id": interaction_id, "last_seq": 0}))
        history = await until(agent, "interaction.history")
        assert [m["body"] for m in history["messages"]] == ["c1"]

        # The customer's web process dies; the agent keeps writing through the other one.
        web1.stop(signal.SIGKILL)
        for n in (1, 2, 3):
            await agent.send(json.dumps({"type": "message.send", "interaction_id": interaction_id, "body": f"a{n}"}))
        agent_seen = await collect(agent, 4, "message")
        web1.start()
        customer, back = await customer_socket(p1, visitor_token=welcome["visitor_token"], last_seq=1)
        customer_missed = back["messages"]

        # Now the agent's web process dies while the customer writes.
        web2.stop(signal.SIGKILL)
        await customer.send(json.dumps({"type": "message.send", "body": "c2"}))
        await customer.send(json.dumps({"type": "message.send", "body": "c3"}))
        customer_seen = await collect(customer, 6, "message")
        web2.start()
        agent = await agent_socket(p2)
        await agent.send(json.dumps({"type": "interaction.open", "interaction_id": interaction_id, "last_seq": 4}))
        agent_missed = (await until(agent, "interaction.history"))["messages"]
        await customer.close()
        await agent.close()
        return {
            "customer_missed": customer_missed,
            "agent_seen": agent_seen,
            "customer_seen": customer_seen,
            "agent_missed": agent_missed,
        }

    try:
        out = run_async(scenario())
    finally:
        web1.stop()
        web2.stop()
    assert [(m["seq"], m["body"]) for m in out["customer_missed"]] == [(2, "a1"), (3, "a2"), (4, "a3")]
    assert [(m["seq"], m["body"]) for m in out["agent_missed"]] == [(5, "c2"), (6, "c3")]
    assert [m["seq"] for m in out["agent_seen"]] == [2, 3, 4]
    assert [m["seq"] for m in out["customer_seen"]] == [5, 6]
