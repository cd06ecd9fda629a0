"""The inbox API behind the desktop, the forms of the widget, sizes of the widget, the snippet."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import Client

from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState
from apps.inbox.actions import do_identify_contact, do_open_interaction, do_post_message
from apps.inbox.models import CannedResponse, Contact, Interaction, Message
from apps.routing.models import Offer, Queue
from tests.conftest import PASSWORD, WebServer
from tests.inbox.conftest import make_center
from tests.ws import open_ws, recv_json, run_async

SHOP = "http://127.0.0.1:9"
ROOT = Path(__file__).resolve().parent.parent.parent


def login(host: str, email: str) -> Client:
    client = Client(HTTP_HOST=host)
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def test_inbox_views_filters_canned_responses_and_merge() -> None:
    cc = make_center(SHOP)
    connection.set_schema(cc.info.schema_name)
    alex = cc.agents[0]
    do_set_agent_state(alex, AgentState.AVAILABLE)
    jo = do_identify_contact({"email": "jo@example.com"}, {"name": "Jo Bloggs"})
    mine = do_open_interaction(channel="chat", queue=cc.queue, subject="Refund")
    Interaction.objects.filter(pk=mine.pk).update(contact=jo, labels=["refund"])
    offer = Offer.objects.get(interaction=mine)
    from apps.routing.actions import do_accept_offer

    do_accept_offer(offer.pk, alex.user)
    other_queue = Queue.objects.create(name="Sales")
    elsewhere = Interaction.objects.create(channel="email", queue=other_queue, subject="Quote")
    CannedResponse.objects.create(
        shortcut="hello", title="Hi", body="Hi {{ customer.first_name }}, {{ agent.name }} here."
    )
    connection.set_schema_to_public()

    host = cc.info.host
    a = login(host, f"agent1@{cc.info.subdomain}.test")
    assert [r["id"] for r in a.get("/api/v1/inbox?view=mine").json()] == [mine.pk]
    assert [r["id"] for r in a.get("/api/v1/inbox?view=mine&label=refund").json()] == [mine.pk]
    assert a.get("/api/v1/inbox?view=mine&channel=email").json() == []
    assert [r["id"] for r in a.get("/api/v1/inbox?view=queues").json()] == [mine.pk]  # not Sales: not a member
    assert a.get("/api/v1/inbox?view=all").json() == a.get("/api/v1/inbox?view=mine").json()  # agents: no "all"
    assert a.get("/api/v1/inbox?view=everything").status_code == 400
    owner = login(host, cc.info.email)
    assert {r["id"] for r in owner.get("/api/v1/inbox?view=all").json()} == {mine.pk, elsewhere.pk}

    detail = a.get(f"/api/v1/interactions/{mine.pk}/detail").json()
    assert detail["contact"]["name"] == "Jo Bloggs" and detail["labels"] == ["refund"]
    assert a.get(f"/api/v1/interactions/{elsewhere.pk}/detail").status_code == 403
    canned = a.get(f"/api/v1/interactions/{mine.pk}/canned/hello").json()
    assert canned == {"text": "Hi Jo, Alex Agent here."}

    # Two identities of one person become one contact; the conversations follow.
    connection.set_schema(cc.info.schema_name)
    dup = do_identify_contact({"phone": "+4930123456"}, {"name": "J. Bloggs"})
    Interaction.objects.filter(pk=elsewhere.pk).update(contact=dup)
    connection.set_schema_to_public()
    merged = owner.post(
        f"/api/v1/contacts/{jo.pk}/merge", json.dumps({"other": dup.pk}), content_type="application/json"
    )
    assert merged.json() == {"id": jo.pk, "interactions": 2}
    assert (
        a.post(
            f"/api/v1/contacts/{jo.pk}/merge", json.dumps({"other": dup.pk}), content_type="application/json"
        ).status_code
        == 403
    )
    connection.set_schema(cc.info.schema_name)
    assert Contact.objects.get(pk=dup.pk).merged_into_id == jo.pk
    assert set(jo.identities.values_list("kind", flat=True)) == {"email", "phone"}


def test_prechat_form_and_offline_form(web_server: WebServer) -> None:
    cc = make_center(SHOP)
    connection.set_schema(cc.info.schema_name)
    cc.key.prechat_form = True
    cc.key.save()
    connection.set_schema_to_public()
    host = cc.info.host

    async def scenario(hello: dict[str, Any], frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ws = await open_ws(web_server.port, host, path="/ws/widget/", origin=f"http://{host}:{web_server.port}")
        await ws.send(json.dumps({"type": "hello", "key": cc.key.public_key, "origin": SHOP, **hello}))
        out = [await recv_json(ws)]
        for frame in frames:
            await ws.send(json.dumps(frame))
            out.append(await recv_json(ws))
        await ws.close()
        return out

    # Nobody of the queue is signed in: the widget says so and offers to leave a message.
    (nobody,) = run_async(scenario({}, []))
    assert nobody["offline"] is True and nobody["offline_reason"] == "no_agents"
    connection.set_schema(cc.info.schema_name)
    do_set_agent_state(cc.agents[1], AgentState.AWAY)  # signed in, even if away: customers may chat
    connection.set_schema_to_public()
    welcome, bad, ok = run_async(
        scenario(
            {},
            [
                {"type": "prechat.submit", "name": "", "email": "nope"},
                {"type": "prechat.submit", "name": "Kim", "email": "kim@example.com"},
            ],
        )
    )
    assert welcome["config"]["prechat"] is True and welcome["offline"] is False and welcome["offline_reason"] is None
    assert bad["code"] == "invalid" and set(bad["fields"]) == {"name", "email"}
    assert ok == {"type": "prechat.ok", "contact": {"name": "Kim", "email": "kim@example.com"}}

    # Outside business hours the widget offers the offline form, and the message waits for the team.
    from apps.routing.models import BusinessHours

    connection.set_schema(cc.info.schema_name)
    cc.queue.business_hours = BusinessHours.objects.create(name="Closed", timezone="UTC", weekly={})
    cc.queue.save()
    connection.set_schema_to_public()
    welcome, sent = run_async(
        scenario(
            {}, [{"type": "offline.submit", "name": "Lee", "email": "lee@example.com", "body": "Call me back tomorrow"}]
        )
    )
    assert welcome["offline"] is True and welcome["offline_reason"] == "closed" and sent == {"type": "offline.ok"}
    connection.set_schema(cc.info.schema_name)
    waiting = Interaction.objects.get(status="pending")
    assert waiting.channel == "email" and waiting.contact.email == "lee@example.com"  # type: ignore[union-attr]
    assert list(waiting.messages.values_list("body", flat=True)) == ["Call me back tomorrow"]


def test_widget_is_small() -> None:
    def gz(path: str) -> int:
        return len(gzip.compress((ROOT / path).read_bytes(), 9))

    loader = gz("static/widget/loader.js")
    whole = (
        loader
        + gz("static/widget/frame.js")
        + gz("static/widget/frame.css")
        + gz("templates/widget/frame.html")
        + gz("static/rtc/call.js")  # calls: the same script as the desktop's
    )
    assert loader <= 3 * 1024, loader
    assert whole < 60 * 1024, whole


def test_owner_sees_the_one_line_snippet() -> None:
    cc = make_center(SHOP)
    page = login(cc.info.host, cc.info.email).get("/").content.decode()
    assert (
        f'&lt;script src="http://{cc.info.host}/widget.js" data-key="{cc.key.public_key}" async&gt;&lt;/script&gt;'
        in page
    )
    agent_page = login(cc.info.host, f"agent1@{cc.info.subdomain}.test").get("/").content.decode()
    assert "widget.js" not in agent_page


def test_messages_are_numbered_in_order_and_notes_stay_private() -> None:
    cc = make_center(SHOP)
    connection.set_schema(cc.info.schema_name)
    interaction = Interaction.objects.create(channel="chat", queue=cc.queue)
    seqs = [
        do_post_message(interaction, kind=k, body=f"m{n}").seq
        for n, k in enumerate(["customer", "agent", "note", "customer"])
    ]
    assert seqs == [1, 2, 3, 4]
    from apps.widget.actions import missed_messages

    assert [m["body"] for m in missed_messages(interaction.pk, 0)] == ["m0", "m1", "m3"]  # no note
    assert Message.objects.filter(interaction=interaction).count() == 4


def test_demo_shop_page_embeds_the_demo_widget() -> None:
    from django.core.management import call_command
    from django_tenants.utils import schema_context

    from apps.tenants.models import Tenant
    from apps.widget.identity import verify_identity
    from apps.widget.models import WidgetKey

    call_command("seed_demo", verbosity=0)
    page = Client(HTTP_HOST="localhost").get("/demo-shop/?as=customer")
    assert page.status_code == 200
    html = page.content.decode()
    with schema_context(Tenant.objects.get(subdomain="demo").schema_name):
        key = WidgetKey.objects.get()
    assert f'data-key="{key.public_key}"' in html and "http://demo.localhost/widget.js" in html
    token = html.split('data-identity-token="')[1].split('"')[0]
    assert verify_identity(token, key.secret).name == "Mei Chen"
    assert "data-identity-token" not in Client(HTTP_HOST="localhost").get("/demo-shop/").content.decode()


def test_suspended_tenant_widget_shows_the_offline_form_and_nothing_is_routed(web_server: WebServer) -> None:
    """Billing suspends an unpaid tenant: agents still read, the widget offers the offline form."""
    from apps.routing import engine
    from apps.routing.actions import RoutingSuspended
    from apps.tenants.models import Tenant

    cc = make_center(SHOP)
    Tenant.objects.filter(pk=cc.info.tenant.pk).update(status=Tenant.Status.SUSPENDED)
    engine.forget_cached_plans()
    host = cc.info.host

    async def hello() -> dict[str, Any]:
        ws = await open_ws(web_server.port, host, path="/ws/widget/", origin=f"http://{host}:{web_server.port}")
        await ws.send(json.dumps({"type": "hello", "key": cc.key.public_key, "origin": SHOP}))
        welcome = await recv_json(ws)
        await ws.close()
        return welcome

    try:
        assert run_async(hello())["offline"] is True
        connection.set_schema(cc.info.schema_name)
        try:
            do_open_interaction(channel="chat", queue=cc.queue)
            raise AssertionError("a suspended tenant routed new work")
        except RoutingSuspended as exc:
            assert exc.code == "tenant_suspended"
        connection.set_schema_to_public()
        # Agents can still sign in and read their inbox.
        agent = login(host, f"agent1@{cc.info.subdomain}.test")
        assert agent.get("/api/v1/inbox?view=mine").status_code == 200
    finally:
        Tenant.objects.filter(pk=cc.info.tenant.pk).update(status=Tenant.Status.ACTIVE)
        engine.forget_cached_plans()
