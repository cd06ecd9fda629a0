"""Who a desktop socket may listen to, and for how long: a socket joins a conversation's groups only
after it was authorised to open it, and a user's sockets lose what deactivation, a role change or
signing out takes away at once. Real clients against a real daphne."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from apps.accounts import sessions
from apps.accounts.models import TeamAuditEntry, User
from apps.inbox.models import Message
from tests.conftest import PASSWORD, WebServer
from tests.inbox.conftest import ContactCenter, make_center
from tests.media.callers import SHOP, Sock, agent_socket, customer_socket, login_cookie
from tests.ws import open_ws, run_async


def test_an_agent_who_keeps_asking_for_another_agents_conversation_never_hears_it(web_server: WebServer) -> None:
    cc = make_center(SHOP)
    alex, bea = login_cookie(cc, 1), login_cookie(cc, 2)
    attempts = 300

    async def scenario() -> dict[str, Any]:
        tab_a = await agent_socket(web_server, cc, alex)
        tab_b = await agent_socket(web_server, cc, bea, available=False)  # Bea never gets the offer
        customer = await customer_socket(web_server, cc)
        await customer.send(type="message.send", body="hi", client_id="c1")
        iid = (await customer.wait("conversation.started"))["interaction"]["id"]
        offer = await tab_a.wait("offer.created")
        await tab_a.send(type="offer.accept", offer_id=offer["offer"]["id"])
        await tab_a.wait("offer.accept.ok")

        async def keep_asking() -> None:
            for n in range(attempts):
                await tab_b.send(type="interaction.open", interaction_id=iid, last_seq=0)
                if n % 10 == 0:
                    await asyncio.sleep(0.005)

        async def talk() -> None:
            for n in range(15):
                await customer.send(type="message.send", body=f"my card number {n}", client_id=f"m{n}")
                await tab_a.send(type="message.send", interaction_id=iid, body=f"note {n}", note=True)
                await asyncio.sleep(0.02)

        await asyncio.gather(keep_asking(), talk())
        # Everything was said: the last note reached Alex, the last message the customer ...
        await tab_a.wait("message.note", interaction_id=iid, message__body="note 14")
        await customer.wait("message", message__body="my card number 14")
        # ... and every one of Bea's requests was answered.
        refusals = [await tab_b.wait("error", timeout=30) for _ in range(attempts)]
        heard = [f for f in tab_b.frames if f.get("interaction_id") == iid or "message" in f]
        for sock in (tab_a, tab_b, customer):
            await sock.close()
        return {"refusals": refusals, "heard": heard}

    result = run_async(scenario())
    assert {r["code"] for r in result["refusals"]} == {"forbidden"}
    assert result["heard"] == []


# --- what deactivation, a role change and signing out take away -------------------------------------


def owner_client(cc: ContactCenter) -> Client:
    client = Client(HTTP_HOST=cc.info.host)
    assert client.post("/login/", {"username": cc.info.email, "password": PASSWORD}).status_code == 302
    return client


def cookie_of(cc: ContactCenter, email: str) -> str:
    client = Client(HTTP_HOST=cc.info.host)
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return f"sessionid={client.cookies['sessionid'].value}"


def add_user(cc: ContactCenter, email: str, role: str) -> User:
    connection.set_schema(cc.info.schema_name)
    user = User.objects.create_user(email=email, password=PASSWORD, full_name="Ada Admin", role=role)
    connection.set_schema_to_public()
    return user


async def closed_with(sock: Sock, timeout: float = 10.0) -> int | None:
    await asyncio.wait_for(sock.ws.wait_closed(), timeout)
    return sock.ws.close_code  # type: ignore[no-any-return]


async def assigned_chat(web: WebServer, cc: ContactCenter, agent: Sock) -> tuple[Sock, int]:
    """A customer's conversation, offered to and accepted by `agent`."""
    customer = await customer_socket(web, cc)
    await customer.send(type="message.send", body="hi", client_id="c1")
    iid = (await customer.wait("conversation.started"))["interaction"]["id"]
    offer = await agent.wait("offer.created")
    await agent.send(type="offer.accept", offer_id=offer["offer"]["id"])
    await agent.wait("offer.accept.ok")
    return customer, iid


def test_a_deactivated_agents_open_desktop_is_closed_at_once(web_server: WebServer) -> None:
    cc = make_center(SHOP)
    alex_id = cc.agents[0].user_id
    owner = owner_client(cc)

    async def scenario() -> dict[str, Any]:
        tab = await agent_socket(web_server, cc, login_cookie(cc, 1))
        customer, iid = await assigned_chat(web_server, cc, tab)
        await tab.send(type="message.send", interaction_id=iid, body="Hello, I am Alex")
        await customer.wait("message", message__body="Hello, I am Alex")
        reply = await asyncio.to_thread(owner.post, f"/api/v1/team/members/{alex_id}/deactivate")
        code = await closed_with(tab)
        # The customer goes on writing; nothing reaches the closed desktop, and it cannot answer.
        await customer.send(type="message.send", body="Are you there?")
        await customer.wait("message", message__body="Are you there?")
        again = Sock(await open_ws(web_server.port, cc.info.host, cookie=login_cookie_or_none(cc, 1))).start()
        refused = await closed_with(again)
        await customer.close()
        return {"status": reply.status_code, "code": code, "refused": refused, "heard": tab.taken("message")}

    result = run_async(scenario())
    assert result["status"] == 200
    assert result["code"] == 4401  # the page goes to the sign-in page
    assert result["refused"] == 4401
    assert "Are you there?" not in [f["message"]["body"] for f in result["heard"]]


def login_cookie_or_none(cc: ContactCenter, n: int) -> str | None:
    """A deactivated user cannot sign in: no session cookie (the socket is then anonymous)."""
    client = Client(HTTP_HOST=cc.info.host)
    client.post("/login/", {"username": f"agent{n}@{cc.info.subdomain}.test", "password": PASSWORD})
    morsel = client.cookies.get("sessionid")
    return f"sessionid={morsel.value}" if morsel and morsel.value else None


def test_a_deactivated_agent_cannot_write_to_the_customer_even_if_the_event_is_lost(
    web_server: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The realtime event travels by Redis pub/sub, which drops messages while a web process
    resubscribes: the socket also checks the user's auth version before every frame."""
    cc = make_center(SHOP)
    alex_id = cc.agents[0].user_id
    owner = owner_client(cc)
    monkeypatch.setattr(sessions, "send_event", lambda *args, **kwargs: None)  # the event is lost

    async def scenario() -> dict[str, Any]:
        tab = await agent_socket(web_server, cc, login_cookie(cc, 1))
        customer, iid = await assigned_chat(web_server, cc, tab)
        reply = await asyncio.to_thread(owner.post, f"/api/v1/team/members/{alex_id}/deactivate")
        await tab.send(type="message.send", interaction_id=iid, body="I still have your card number")
        code = await closed_with(tab)
        await customer.send(type="message.send", body="Bye")
        await customer.wait("message", message__body="Bye")  # everything before it was delivered
        await customer.close()
        return {"status": reply.status_code, "code": code, "customer": customer.taken("message")}

    result = run_async(scenario())
    assert result["status"] == 200
    assert result["code"] == 4401
    assert "I still have your card number" not in [f["message"]["body"] for f in result["customer"]]
    connection.set_schema(cc.info.schema_name)
    assert not Message.objects.filter(body="I still have your card number").exists()


def test_an_admin_made_agent_loses_the_conversations_only_managers_may_open(web_server: WebServer) -> None:
    cc = make_center(SHOP)
    ada = add_user(cc, f"ada@{cc.info.subdomain}.test", "admin")
    owner = owner_client(cc)
    ada_cookie = cookie_of(cc, ada.email)

    async def scenario() -> dict[str, Any]:
        alex = await agent_socket(web_server, cc, login_cookie(cc, 1))
        customer, iid = await assigned_chat(web_server, cc, alex)
        # As an admin, Ada may read and follow Alex's conversation.
        admin_tab = await agent_socket(web_server, cc, ada_cookie, available=False)
        await admin_tab.send(type="interaction.open", interaction_id=iid, last_seq=0)
        await admin_tab.wait("interaction.history", interaction_id=iid)
        await customer.send(type="message.send", body="before")
        await admin_tab.wait("message", message__body="before")

        reply = await asyncio.to_thread(owner.post, f"/api/v1/team/members/{ada.pk}/role", {"role": "agent"})
        code = await closed_with(admin_tab)  # the page reloads as an agent
        agent_tab = await agent_socket(web_server, cc, ada_cookie, available=False)
        await agent_tab.send(type="interaction.open", interaction_id=iid, last_seq=0)
        refused = await agent_tab.wait("error")
        await agent_tab.send(type="message.send", interaction_id=iid, body="Ada was here")
        not_yours = await agent_tab.wait("error")
        await customer.send(type="message.send", body="after")
        await alex.wait("message", message__body="after")
        heard = [f["message"]["body"] for f in admin_tab.taken("message") + agent_tab.taken("message")]
        for sock in (alex, agent_tab, customer):
            await sock.close()
        return {"status": reply.status_code, "code": code, "refused": refused, "not_yours": not_yours, "heard": heard}

    result = run_async(scenario())
    assert result["status"] == 200
    assert result["code"] == 4409
    assert result["refused"]["code"] == "forbidden"
    assert result["not_yours"]["code"] == "forbidden"
    assert result["heard"] == []
    connection.set_schema(cc.info.schema_name)
    assert not Message.objects.filter(body="Ada was here").exists()
    assert TeamAuditEntry.objects.filter(subject=ada, action="role_changed").exists()


def test_signing_out_closes_that_sessions_desktop_and_no_other(web_server: WebServer) -> None:
    cc = make_center(SHOP)
    laptop = Client(HTTP_HOST=cc.info.host)
    laptop.post("/login/", {"username": f"agent1@{cc.info.subdomain}.test", "password": PASSWORD})
    laptop_cookie = f"sessionid={laptop.cookies['sessionid'].value}"

    async def scenario() -> dict[str, Any]:
        on_laptop = await agent_socket(web_server, cc, laptop_cookie, available=False)
        on_phone = await agent_socket(web_server, cc, login_cookie(cc, 1), available=False)
        signed_out = await asyncio.to_thread(laptop.post, "/logout/")
        code = await closed_with(on_laptop)
        await on_phone.send(type="heartbeat")
        await on_phone.wait("heartbeat.ok")  # the other session goes on
        await on_phone.close()
        return {"status": signed_out.status_code, "code": code}

    result = run_async(scenario())
    assert result["status"] == 302
    assert result["code"] == 4401
