"""The widget and desktop sockets, as real clients against a real daphne: identity, resume, isolation,
bad input, attachments, queue position."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from apps.inbox.models import Contact, Interaction
from apps.widget.identity import sign_identity
from tests.conftest import PASSWORD, WebServer
from tests.inbox.conftest import ContactCenter, Shop, make_center
from tests.ws import open_ws, recv_json, recv_nothing, run_async

SHOP = "http://127.0.0.1:9"  # the business's page origin (only its name matters to the socket)


@pytest.fixture
def cc() -> ContactCenter:
    return make_center(SHOP)


async def widget(web: WebServer, cc: ContactCenter, **hello: Any) -> tuple[Any, dict[str, Any]]:
    host = f"{cc.info.subdomain}.localhost"
    ws = await open_ws(web.port, host, path="/ws/widget/", origin=f"http://{host}:{web.port}")
    await ws.send(
        json.dumps(
            {
                "type": "hello",
                "key": cc.key.public_key,
                "origin": SHOP,
                "page": {"url": f"{SHOP}/cart", "title": "Cart"},
                **hello,
            }
        )
    )
    return ws, await recv_json(ws)


def token(cc: ContactCenter, **claims: Any) -> str:
    base = {
        "sub": "cust-42",
        "name": "Wu Lei",
        "email": "wu@example.com",
        "exp": int(time.time()) + 300,
        "attributes": {"tier": "gold", "vip": True},
        "context": {"cart": {"items": 3, "total": 129.5}},
    }
    return sign_identity(cc.key.secret, {**base, **claims})


def test_signed_identity_and_context_reach_the_conversation(web_server: WebServer, cc: ContactCenter) -> None:
    async def scenario() -> dict[str, Any]:
        ws, welcome = await widget(web_server, cc, identity_token=token(cc))
        assert welcome["identity"] == "verified" and welcome["contact"]["name"] == "Wu Lei"
        await ws.send(json.dumps({"type": "message.send", "body": "Where is my cart?", "client_id": "c1"}))
        started = await recv_json(ws)
        await ws.close()
        return started

    started = run_async(scenario())
    assert started["type"] == "conversation.started"
    assert started["messages"][0]["body"] == "Where is my cart?" and started["messages"][0]["client_id"] == "c1"
    connection.set_schema(cc.info.schema_name)
    interaction = Interaction.objects.get()
    assert interaction.context == {"cart": {"items": 3, "total": 129.5}}
    assert interaction.attributes == {"tier": "gold", "vip": True}  # usable by routing expressions
    assert interaction.page == {"url": f"{SHOP}/cart", "title": "Cart"}
    contact = interaction.contact
    assert contact is not None and contact.email == "wu@example.com"
    assert {i.kind for i in contact.identities.all()} == {"visitor", "external", "email"}


@pytest.mark.parametrize("bad", ["tampered", "expired", "wrong-secret", "garbage"])
def test_forged_or_expired_identity_is_refused_and_chat_goes_on_anonymously(
    web_server: WebServer, cc: ContactCenter, bad: str
) -> None:
    good = token(cc)
    forged = {
        "tampered": good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "expired": token(cc, exp=int(time.time()) - 3600),
        "wrong-secret": sign_identity("sk_not_the_secret", {"sub": "cust-42", "exp": int(time.time()) + 300}),
        "garbage": "not-a-token",
    }[bad]

    async def scenario() -> dict[str, Any]:
        ws, welcome = await widget(web_server, cc, identity_token=forged)
        await ws.send(json.dumps({"type": "message.send", "body": "hello"}))
        await recv_json(ws)
        await ws.close()
        return welcome

    welcome = run_async(scenario())
    assert welcome["identity"] == "refused" and welcome["contact"]["name"] == ""
    connection.set_schema(cc.info.schema_name)
    assert not Contact.objects.filter(identities__kind="external").exists()
    assert Interaction.objects.get().context == {}


def test_a_reload_resumes_the_same_conversation(web_server: WebServer, cc: ContactCenter) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        ws, first = await widget(web_server, cc)
        await ws.send(json.dumps({"type": "message.send", "body": "one"}))
        await recv_json(ws)
        await ws.send(json.dumps({"type": "message.send", "body": "two"}))
        await recv_json(ws)
        await ws.close()
        ws, again = await widget(web_server, cc, visitor_token=first["visitor_token"], last_seq=1)
        await ws.close()
        return first, again

    first, again = run_async(scenario())
    assert first["interaction"] is None
    assert again["interaction"] is not None and again["interaction"]["routing_status"] == "queued"
    assert [m["body"] for m in again["messages"]] == ["two"]  # only what came after seq 1
    assert again["interaction"]["position"] == 1  # nobody is available: it waits, first in line


def test_keys_origins_and_hosts_of_others_are_refused(web_server: WebServer, cc: ContactCenter, shop: Shop) -> None:
    other = make_center(shop.origin)

    async def scenario() -> list[Any]:
        out = []
        # Tenant B's key on tenant A's host.
        ws, reply = await widget(web_server, cc, key=other.key.public_key)
        out.append(reply)
        await ws.close()
        # A page that is not an allowed origin.
        ws, reply = await widget(web_server, cc, origin="https://evil.example")
        out.append(reply)
        # The socket still works after a refusal: a correct hello now.
        await ws.send(json.dumps({"type": "hello", "key": cc.key.public_key, "origin": SHOP}))
        out.append(await recv_json(ws))
        await ws.close()
        # A socket opened by another site's page (Origin header) is closed.
        host = f"{cc.info.subdomain}.localhost"
        ws = await open_ws(web_server.port, host, path="/ws/widget/", origin="https://evil.example")
        try:
            await recv_json(ws)
        except Exception as exc:  # closed with 4403
            out.append(getattr(getattr(exc, "rcvd", None), "code", None))
        return out

    b_key, bad_origin, ok, closed = run_async(scenario())
    assert (b_key["type"], b_key["code"]) == ("error", "unknown_widget_key")
    assert (bad_origin["code"], bad_origin["message"]) == (
        "origin_not_allowed",
        "This site is not allowed to use this chat.",
    )
    assert ok["type"] == "welcome"
    assert closed == 4403


def test_frame_page_may_only_be_embedded_by_allowed_origins(cc: ContactCenter) -> None:
    client = Client(HTTP_HOST=cc.info.host)
    response = client.get(f"/widget/frame/?key={cc.key.public_key}")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == f"frame-ancestors {SHOP}"
    assert "X-Frame-Options" not in response
    assert client.get("/widget/frame/?key=pk_nope").status_code == 404


def test_bad_frames_get_clear_errors_and_the_socket_stays_usable(web_server: WebServer, cc: ContactCenter) -> None:
    async def scenario() -> list[dict[str, Any]]:
        ws, _welcome = await widget(web_server, cc)
        replies = []
        for frame in [
            "nope",
            "[]",
            '{"type": 3}',
            '{"type": "message.send", "body": ""}',
            '{"type": "message.send", "body": 7}',
            json.dumps({"type": "message.send", "body": "x" * 4001}),
            '{"type": "csat", "score": 9}',
            '{"type": "teleport"}',
            json.dumps({"type": "message.send", "body": "y" * 70000}),
        ]:
            await ws.send(frame)
            replies.append(await recv_json(ws))
        await ws.send(json.dumps({"type": "message.send", "body": "still here"}))
        replies.append(await recv_json(ws))
        await ws.close()
        return replies

    replies = run_async(scenario())
    codes = [r.get("code") for r in replies[:-1]]
    assert codes == [
        "bad_frame",
        "bad_frame",
        "bad_frame",
        "invalid",
        "invalid",
        "invalid",
        "no_conversation",
        "unknown_type",
        "frame_too_large",
    ]
    assert replies[1]["message"] == "Frames must be JSON objects with a string 'type'."
    assert replies[-1]["type"] == "conversation.started"


def test_attachments_are_checked(web_server: WebServer, cc: ContactCenter) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    async def start() -> str:
        ws, welcome = await widget(web_server, cc)
        await ws.send(json.dumps({"type": "message.send", "body": "photo coming"}))
        await recv_json(ws)
        await ws.close()
        return str(welcome["visitor_token"])

    visitor = run_async(start())
    client = Client(HTTP_HOST=cc.info.host)

    def upload(name: str, content: bytes, content_type: str, key: str | None = None, vt: str | None = None) -> Any:
        return client.post(
            "/widget/upload/",
            {
                "key": key or cc.key.public_key,
                "visitor_token": vt or visitor,
                "file": SimpleUploadedFile(name, content, content_type),
            },
        )

    ok = upload("receipt.pdf", b"%PDF-1.4 test", "application/pdf")
    assert ok.status_code == 201
    exe = upload("tool.exe", b"MZ...", "application/x-msdownload")
    assert exe.status_code == 400 and exe.json()["error"]["message"] == "This type of file is not allowed."
    disguised = upload("photo.png", b"MZ...", "application/x-msdownload")
    assert disguised.status_code == 400
    big = upload("big.png", b"0" * (10 * 1024 * 1024 + 1), "image/png")
    assert big.status_code == 400 and big.json()["error"]["message"] == "Files are limited to 10 MB."
    assert upload("empty.png", b"", "image/png").status_code == 400
    assert upload("x.png", b"png", "image/png", vt="forged").status_code == 403
    connection.set_schema(cc.info.schema_name)
    interaction = Interaction.objects.get()
    assert [a.name for a in interaction.attachments.all()] == ["receipt.pdf"]
    att = interaction.attachments.get()
    # The file is stored under the tenant's own prefix; only those who may see the chat can download it.
    assert att.file.name.startswith(f"{cc.info.schema_name}/attachments/")
    assert Client(HTTP_HOST=cc.info.host).get(f"/inbox/attachments/{att.pk}").status_code == 403


def test_an_agent_cannot_open_a_conversation_that_is_not_theirs(web_server: WebServer, cc: ContactCenter) -> None:
    async def scenario() -> dict[str, Any]:
        ws, _ = await widget(web_server, cc)
        await ws.send(json.dumps({"type": "message.send", "body": "hi"}))
        started = await recv_json(ws)
        await ws.close()
        agent = Client(HTTP_HOST=cc.info.host)
        agent.post("/login/", {"username": f"agent2@{cc.info.subdomain}.test", "password": PASSWORD})
        desk = await open_ws(web_server.port, cc.info.host, cookie=f"sessionid={agent.cookies['sessionid'].value}")
        await recv_json(desk)
        await desk.send(json.dumps({"type": "interaction.open", "interaction_id": started["interaction"]["id"]}))
        reply = await recv_json(desk)
        await desk.send(
            json.dumps({"type": "message.send", "interaction_id": started["interaction"]["id"], "body": "sneaky"})
        )
        reply2 = await recv_json(desk)
        await recv_nothing(desk, 0.3)
        await desk.close()
        return {"open": reply, "send": reply2}

    replies = run_async(scenario())
    assert replies["open"]["code"] == "forbidden"
    assert replies["open"]["message"] == "This conversation is not assigned to you."
    assert replies["send"]["code"] == "forbidden"
    connection.set_schema(cc.info.schema_name)
    assert [m.body for m in Interaction.objects.get().messages.all()] == ["hi"]
