"""The assignee's desktop follows every open conversation assigned to them: a customer's message
reaches each of their tabs (opened before or after the assignment) without opening the conversation,
never another agent's desktop, and stops once the conversation is handed back to a queue."""

from __future__ import annotations

import asyncio
from typing import Any

from django.test import Client

from tests.conftest import PASSWORD, WebServer
from tests.inbox.conftest import ContactCenter, make_center
from tests.media.callers import SHOP, agent_socket, customer_socket, login_cookie
from tests.ws import run_async


def agent_api(cc: ContactCenter, n: int, path: str, body: dict[str, Any]) -> Any:
    client = Client(HTTP_HOST=cc.info.host)
    client.post("/login/", {"username": f"agent{n}@{cc.info.subdomain}.test", "password": PASSWORD})
    return client.post(f"/api/v1/{path}", body, content_type="application/json")


def agent_get(cc: ContactCenter, n: int, path: str) -> Any:
    client = Client(HTTP_HOST=cc.info.host)
    client.post("/login/", {"username": f"agent{n}@{cc.info.subdomain}.test", "password": PASSWORD})
    return client.get(f"/api/v1/{path}").json()


def test_the_assignee_follows_their_conversations_until_they_are_handed_back(web_server: WebServer) -> None:
    cc = make_center(SHOP)
    alex, bea = login_cookie(cc, 1), login_cookie(cc, 2)

    async def scenario() -> dict[str, Any]:
        tab_a = await agent_socket(web_server, cc, alex)
        other = await agent_socket(web_server, cc, bea, available=False)  # Bea is signed in, not assigned
        customer = await customer_socket(web_server, cc)
        await customer.send(type="message.send", body="hi", client_id="c1")
        iid = (await customer.wait("conversation.started"))["interaction"]["id"]
        offer = await tab_a.wait("offer.created")
        await tab_a.send(type="offer.accept", offer_id=offer["offer"]["id"])
        await tab_a.wait("offer.accept.ok")
        await tab_a.wait("assignments.changed")  # the open tab now follows it
        tab_b = await agent_socket(web_server, cc, alex, available=False)  # a tab opened afterwards

        await customer.send(type="message.send", body="Where is my order?")
        followed = [
            await tab.wait("message", interaction_id=iid, message__body="Where is my order?") for tab in (tab_a, tab_b)
        ]

        # Unread in Alex's list: both customer messages; reading up to seq 1 leaves one. A seq the
        # conversation does not have yet changes nothing.
        inbox_before = await asyncio.to_thread(agent_get, cc, 1, "inbox?view=mine")
        await tab_a.send(type="read", interaction_id=iid, seq=99)
        await tab_a.send(type="read", interaction_id=iid, seq=1)
        await tab_a.wait("read", interaction_id=iid, seq=1)  # stored, then relayed
        inbox_after = await asyncio.to_thread(agent_get, cc, 1, "inbox?view=mine")

        reply = await asyncio.to_thread(agent_api, cc, 1, f"interactions/{iid}/transfer", {"queue": cc.queue.pk})
        await tab_a.wait("assignments.changed")
        await tab_b.wait("assignments.changed")
        await customer.send(type="message.send", body="Hello?")
        await customer.wait("message", message__body="Hello?")  # persisted and announced
        await asyncio.sleep(0.5)
        after = {
            name: [f["message"]["body"] for f in sock.taken("message")]
            for name, sock in (("tab_a", tab_a), ("tab_b", tab_b), ("bea", other))
        }
        for sock in (tab_a, tab_b, other, customer):
            await sock.close()
        return {
            "followed": followed,
            "transfer": reply.status_code,
            "after": after,
            "unread": [inbox_before[0]["unread"], inbox_after[0]["unread"]],
        }

    result = run_async(scenario())
    assert [f["message"]["kind"] for f in result["followed"]] == ["customer", "customer"]
    assert result["unread"] == [2, 1]
    assert result["transfer"] == 200
    # Back in the queue: Alex's tabs no longer get its messages; Bea never got any.
    assert "Hello?" not in result["after"]["tab_a"] + result["after"]["tab_b"]
    assert result["after"]["bea"] == []
