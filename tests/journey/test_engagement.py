"""Proactive engagement (issue 13): rules in the routing expression language over the visitor's page,
visit, cart and contact, checked when saved; `POST /widget/engage/` invites a matching visitor once a
visit (never after "No thanks", nor while they are talking to us) when the capacity condition holds;
the invitation taken opens the conversation in the rule's queue with the reason attached; invitations
shown, accepted and converted are counted per rule."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.models import AuditEntry, User
from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState
from apps.inbox.models import Contact, Interaction
from apps.journey.engagement import do_save_engagement_rule
from apps.journey.models import EngagementRule, Invitation
from apps.routing.models import Queue
from apps.widget.identity import visitor_token
from tests.conftest import PASSWORD, WebServer
from tests.inbox.conftest import ContactCenter, make_center
from tests.ws import open_ws, recv_json, run_async

SHOP = "http://127.0.0.1:9"
CHECKOUT = 'cart.value >= 100 and session.pages >= 3 and page.path startswith "/checkout" and page.seconds >= 30'


def login(cc: ContactCenter, email: str | None = None) -> Client:
    client = Client(HTTP_HOST=cc.info.host)
    assert client.post("/login/", {"username": email or cc.info.email, "password": PASSWORD}).status_code == 302
    return client


def visitor(cc: ContactCenter, name: str = "v-abcdefgh", **attributes: Any) -> tuple[Contact, str]:
    connection.set_schema(cc.info.schema_name)
    contact = Contact.objects.create(attributes=attributes)
    token = visitor_token(cc.info.schema_name, cc.key.pk, contact.pk, name)
    connection.set_schema_to_public()
    return contact, token


def rule(cc: ContactCenter, **fields: Any) -> EngagementRule:
    connection.set_schema(cc.info.schema_name)
    fields.setdefault("name", "Checkout help")
    fields.setdefault("expression", CHECKOUT)
    fields.setdefault("message", "Questions about your order? We are here.")
    saved = do_save_engagement_rule(None, None, **fields)
    connection.set_schema_to_public()
    return saved


def facts(**over: Any) -> dict[str, Any]:
    base = {
        "page": {"path": "/checkout/payment", "url": f"{SHOP}/checkout/payment", "title": "Pay", "seconds": 31},
        "session": {"pages": 4, "seconds": 200, "events": 2},
        "cart": {"value": 129, "items": 3},
    }
    for scope, values in over.items():
        base[scope] = {**base[scope], **values}
    return base


def engage(cc: ContactCenter, body: Any, origin: str = SHOP) -> Any:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return Client(HTTP_HOST=cc.info.host).post(
        "/widget/engage/", raw, content_type="text/plain", HTTP_ORIGIN=origin, HTTP_ACCEPT_LANGUAGE="en"
    )


def ask(cc: ContactCenter, token: str, session: str = "visit-0001", **over: Any) -> Any:
    return engage(cc, {"key": cc.key.public_key, "visitor": token, "session": session, "facts": facts(**over)})


def invitations(cc: ContactCenter) -> list[Invitation]:
    connection.set_schema(cc.info.schema_name)
    rows = list(Invitation.objects.order_by("pk"))
    connection.set_schema_to_public()
    return rows


def test_rules_are_checked_when_saved_and_only_owners_and_admins_change_them() -> None:
    cc = make_center(SHOP)
    owner = login(cc)
    bad = owner.post(
        "/api/v1/journey/engagement-rules",
        {
            "name": "Checkout",
            "expression": 'page.path startswith "/checkout" and cart.value >= "lots"',
            "message": "Hi",
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    error = bad.json()["error"]["fields"]["expression"][0]
    assert "Only numbers can be compared" in error and "(at column" in error
    unknown = owner.post(
        "/api/v1/journey/engagement-rules",
        {"name": "X", "expression": "skills.billing >= 2", "message": "Hi", "capacity": "short_wait"},
        content_type="application/json",
    ).json()["error"]["fields"]
    assert "page.<name>" in unknown["expression"][0] and "max_wait_seconds" in unknown
    created = owner.post(
        "/api/v1/journey/engagement-rules",
        {
            "name": "Checkout help",
            "expression": CHECKOUT,
            "message": "Questions about your order?",
            "action": "video",
            "capacity": "short_wait",
            "max_wait_seconds": 60,
            "conversion_event": "order",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["action"] == "video" and body["queue"] is None and body["conversion_event"] == "order"
    twice = owner.post(
        "/api/v1/journey/engagement-rules",
        {"name": "checkout HELP", "expression": "contact.vip", "message": "Hi"},
        content_type="application/json",
    )
    assert twice.status_code == 400 and "name" in twice.json()["error"]["fields"]
    changed = owner.patch(
        f"/api/v1/journey/engagement-rules/{body['id']}", {"enabled": False}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    connection.set_schema(cc.info.schema_name)
    verbs = list(
        AuditEntry.objects.filter(verb__startswith="journey.engagement").order_by("pk").values_list("verb", flat=True)
    )
    User.objects.create_user(email=f"sup@{cc.info.subdomain}.test", password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()
    assert verbs == ["journey.engagement_rule_created", "journey.engagement_rule_changed"]

    supervisor, agent = login(cc, f"sup@{cc.info.subdomain}.test"), login(cc, f"agent1@{cc.info.subdomain}.test")
    listed = supervisor.get("/api/v1/journey/engagement-rules?days=30").json()["results"]
    assert [r["name"] for r in listed] == ["Checkout help"] and listed[0]["stats"]["shown"] == 0
    assert (
        supervisor.post(
            "/api/v1/journey/engagement-rules",
            {"name": "Y", "expression": "contact.vip", "message": "Hi"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert agent.get("/api/v1/journey/engagement-rules").status_code == 403
    assert owner.delete(f"/api/v1/journey/engagement-rules/{body['id']}").status_code == 204
    assert owner.get(f"/api/v1/journey/engagement-rules/{body['id']}").status_code == 404


def test_a_matching_visitor_is_invited_once_a_visit() -> None:
    cc = make_center(SHOP)
    rule(cc)
    _contact, token = visitor(cc)
    # Not yet 30 s on the page: no invitation, and the answer says when to ask again.
    early = ask(cc, token, page={"seconds": 12})
    assert early.status_code == 200 and early.json() == {"invitation": None, "recheck_in": 18.0}
    assert early["Access-Control-Allow-Origin"] == SHOP
    small_cart = ask(cc, token, cart={"value": 40}).json()
    assert small_cart["invitation"] is None and small_cart["recheck_in"] is None
    elsewhere = ask(cc, token, page={"path": "/blog/checkout-tips"}).json()
    assert elsewhere["invitation"] is None
    shown = ask(cc, token).json()
    assert shown["invitation"]["message"] == "Questions about your order? We are here."
    assert shown["invitation"]["action"] == "chat" and shown["labels"]["chat"] == "Chat now"
    (inv,) = invitations(cc)
    assert inv.facts == {"cart.value": 129, "session.pages": 4, "page.path": "/checkout/payment", "page.seconds": 31}
    # Once a visit; a new visit may be invited again.
    assert ask(cc, token).json()["invitation"] is None
    again = ask(cc, token, session="visit-0002").json()
    assert again["invitation"] is not None
    # "No thanks": nothing more in that visit, from any rule.
    rule(cc, name="Anyone", expression="session.pages >= 1", priority=200)
    no = engage(
        cc,
        {"key": cc.key.public_key, "visitor": token, "session": "visit-0002", "dismiss": again["invitation"]["token"]},
    )
    assert no.status_code == 200
    assert ask(cc, token, session="visit-0002").json()["invitation"] is None
    assert [i.dismissed_at is not None for i in invitations(cc)] == [False, True]


def test_contact_facts_come_from_the_server_and_capacity_is_respected() -> None:
    cc = make_center(SHOP)
    rule(cc, name="VIP", expression="contact.vip and session.pages >= 1", capacity="agent_available")
    _plain, plain = visitor(cc, "v-plain001")
    _vip, vip = visitor(cc, "v-vipvip01", vip=True)
    # The browser cannot claim to be a VIP: contact facts are never taken from it.
    claimed = engage(
        cc,
        {
            "key": cc.key.public_key,
            "visitor": plain,
            "session": "visit-0001",
            "facts": {**facts(), "contact": {"vip": True}},
        },
    )
    assert claimed.status_code == 200 and claimed.json()["invitation"] is None
    # A VIP, but nobody of the queue is available: not invited (an invitation nobody answers is worse).
    assert ask(cc, vip).json()["invitation"] is None
    connection.set_schema(cc.info.schema_name)
    do_set_agent_state(cc.agents[0], AgentState.AVAILABLE)
    connection.set_schema_to_public()
    assert ask(cc, vip).json()["invitation"] is not None
    # Someone already talking to us is not invited.
    rule(cc, name="Everyone", expression="session.pages >= 1")
    connection.set_schema(cc.info.schema_name)
    Interaction.objects.create(channel="chat", contact=_plain, queue=cc.queue)
    connection.set_schema_to_public()
    assert ask(cc, plain, session="visit-0009").json()["invitation"] is None


def test_bad_requests_get_clear_errors(settings: Any) -> None:
    cc = make_center(SHOP)
    rule(cc)
    _contact, token = visitor(cc)
    base = {"key": cc.key.public_key, "visitor": token, "session": "visit-0001"}
    cases = [
        ("{not json", 400, "parse_error"),
        (json.dumps([1, 2]), 400, "invalid"),
        (json.dumps({**base, "facts": {"page": "checkout"}}), 400, "invalid"),
        (json.dumps({**base, "facts": {"cart": {"value": {"nested": 1}}}}), 400, "invalid"),
        (json.dumps({**base, "session": "../../etc"}), 400, "invalid"),
        (json.dumps({**base, "visitor": "forged"}), 400, "unknown_visitor"),
        (json.dumps({**base, "dismiss": "forged"}), 400, "unknown_invitation"),
        (json.dumps({**base, "key": "pk_nope"}), 403, "origin_not_allowed"),
        ("x" * 20000, 413, "too_large"),
    ]
    for raw, status, code in cases:
        answer = engage(cc, raw)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), raw[:60]
    assert engage(cc, json.dumps(base), origin="https://evil.example").status_code == 403
    assert Client(HTTP_HOST=cc.info.host).get("/widget/engage/").status_code == 405
    # A visitor token of another tenant is refused here.
    connection.set_schema_to_public()
    other = make_center(SHOP)
    _c, foreign = visitor(other)
    assert engage(cc, {**base, "visitor": foreign}).json()["error"]["code"] == "unknown_visitor"
    # Throttled per visitor.
    settings.ENGAGE_CHECKS_PER_MINUTE = 3
    _fresh, fresh = visitor(cc, "v-fresh001")
    answers = [ask(cc, fresh, page={"seconds": 1}).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    assert invitations(cc) == []


def test_the_loader_learns_whether_to_load_the_engagement_script() -> None:
    cc = make_center(SHOP)
    check = Client(HTTP_HOST=cc.info.host).get("/widget/check/", {"key": cc.key.public_key}, HTTP_ORIGIN=SHOP).json()
    assert check["allowed"] is True and check["engage"] is None
    rule(cc)
    check = Client(HTTP_HOST=cc.info.host).get("/widget/check/", {"key": cc.key.public_key}, HTTP_ORIGIN=SHOP).json()
    assert check["engage"].endswith(".js") and "engage" in check["engage"]


def test_an_accepted_invitation_opens_the_conversation_in_its_queue_and_converts(web_server: WebServer) -> None:
    cc = make_center(SHOP)
    connection.set_schema(cc.info.schema_name)
    sales = Queue.objects.create(name="Sales")
    sales.members.add(cc.agents[1])
    cc.key.prechat_form = True  # an invitation taken skips the form: the business asked first
    cc.key.save()
    do_set_agent_state(cc.agents[1], AgentState.AVAILABLE)
    connection.set_schema_to_public()
    rule(cc, queue=sales.pk, conversion_event="order")
    host = cc.info.host

    async def hello() -> tuple[Any, dict[str, Any]]:
        ws = await open_ws(web_server.port, host, path="/ws/widget/", origin=f"http://{host}:{web_server.port}")
        await ws.send(json.dumps({"type": "hello", "key": cc.key.public_key, "origin": SHOP}))
        return ws, await recv_json(ws)

    async def scenario() -> list[dict[str, Any]]:
        ws, welcome = await hello()
        invited = ask(cc, welcome["visitor_token"]).json()["invitation"]
        out = [welcome]
        await ws.send(json.dumps({"type": "invitation.accept", "token": "forged"}))
        out.append(await recv_json(ws))
        await ws.send(json.dumps({"type": "invitation.accept", "token": invited["token"]}))
        out.append(await recv_json(ws))
        await ws.send(json.dumps({"type": "message.send", "body": "Does it ship to Lyon?", "client_id": "c1"}))
        while True:
            frame = await recv_json(ws)
            if frame["type"] == "conversation.started":
                out.append(frame)
                break
        await ws.close()
        return out

    welcome, forged, ok, started = run_async(scenario())
    assert forged["type"] == "error" and forged["code"] == "unknown_invitation"
    assert ok == {"type": "invitation.ok", "action": "chat", "message": "Questions about your order? We are here."}
    (inv,) = invitations(cc)
    assert inv.accepted_at is not None and inv.interaction_id == started["interaction"]["id"]
    connection.set_schema(cc.info.schema_name)
    assert Interaction.objects.get(pk=inv.interaction_id).queue_id == sales.pk
    connection.set_schema_to_public()

    # The agent (and the journey) sees why the customer was invited.
    owner = login(cc)
    journey = owner.get(f"/api/v1/contacts/{inv.contact_id}/journey").json()
    entry = next(e for e in journey["entries"] if e["type"] == "interaction")
    assert entry["invitation"]["rule"] == "Checkout help" and entry["invitation"]["facts"]["cart.value"] == 129

    # The site reports the order through the tracker: the invitation converted.
    import tests.journey.test_tracker as tracker

    tracker.WEB = web_server
    now = timezone.now().isoformat()
    batch = {
        "key": cc.key.public_key,
        "visitor": welcome["visitor_token"],
        "events": [
            {"type": "event", "name": "order", "session": "visit-0001", "at": now, "properties": {"value": 129}}
        ],
    }
    assert tracker.send(cc, batch).status_code == 204
    assert invitations(cc)[0].converted_at is not None
    stats = owner.get("/api/v1/journey/engagement-rules").json()["results"][0]["stats"]
    assert stats == {
        "shown": 1,
        "dismissed": 0,
        "accepted": 1,
        "converted": 1,
        "accepted_converted": 1,
        "accept_rate": 100.0,
        "conversion_rate": 100.0,
    }


def test_the_backend_reports_a_conversion_and_tenants_stay_apart() -> None:
    cc = make_center(SHOP)
    rule(cc, conversion_event="subscription.started")
    contact, token = visitor(cc)
    assert ask(cc, token).json()["invitation"] is not None
    owner = login(cc)
    # Another tenant with the same rule name sees nothing of this one's invitations.
    connection.set_schema_to_public()
    other = make_center(SHOP)
    rule(other, conversion_event="subscription.started")
    assert login(other).get("/api/v1/journey/engagement-rules").json()["results"][0]["stats"]["shown"] == 0
    posted = owner.post(
        f"/api/v1/contacts/{contact.pk}/events",
        {"name": "subscription.started", "properties": {"plan": "pro"}},
        content_type="application/json",
    )
    assert posted.status_code == 201
    assert invitations(cc)[0].converted_at is not None
    assert owner.get("/api/v1/journey/engagement-rules").json()["results"][0]["stats"]["converted"] == 1


@pytest.mark.parametrize("lang", ["zh-hans"])
def test_the_invitation_buttons_speak_the_visitors_language(lang: str) -> None:
    cc = make_center(SHOP)
    rule(cc)
    _contact, token = visitor(cc)
    answer = (
        Client(HTTP_HOST=cc.info.host)
        .post(
            "/widget/engage/",
            json.dumps({"key": cc.key.public_key, "visitor": token, "session": "visit-0001", "facts": facts()}),
            content_type="text/plain",
            HTTP_ORIGIN=SHOP,
            HTTP_ACCEPT_LANGUAGE=lang,
        )
        .json()
    )
    assert answer["labels"]["chat"] == "立即聊天" and answer["labels"]["dismiss"] == "不用了"
