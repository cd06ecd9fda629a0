"""A customer's journey (issue 13): every interaction with its record-derived figures (wait, handle,
agents, transfers, category, outcome), web visits and backend events between them, filters and
cursor pages, merges that keep everything, events checked whole, retention, and who may look."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState
from apps.inbox.actions import do_merge_contacts, do_open_interaction, do_resolve, do_transfer
from apps.inbox.models import Contact, Disposition, Interaction
from apps.journey.actions import do_rebuild_web_sessions, do_save_journey_settings
from apps.journey.models import WebEvent
from apps.journey.tasks import purge_web_events
from apps.routing.actions import do_abandon_interaction, do_accept_offer
from apps.routing.models import Offer
from tests.conftest import PASSWORD, TenantInfo
from tests.inbox.conftest import ContactCenter, make_center


def login(host: str, email: str) -> Client:
    client = Client(HTTP_HOST=host)
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def accept(interaction: Interaction, profile: Any) -> None:
    offer = Offer.objects.filter(interaction=interaction, agent=profile, status=Offer.Status.PENDING).get()
    do_accept_offer(offer.pk, profile.user)


def build_history(cc: ContactCenter) -> dict[str, Any]:
    """Wu's history: an abandoned chat, a chat Alex answered and transferred to Bea who resolved it
    ("Solved"), a voice interaction still open with Alex; a web visit before, backend events."""
    connection.set_schema(cc.info.schema_name)
    alex, bea = cc.agents
    wu = Contact.objects.create(name="Wu Lei")
    solved = Disposition.objects.get(name="Solved")
    now = timezone.now()

    # The customer gave up while waiting (nobody was available).
    gave_up = do_open_interaction(channel="chat", queue=cc.queue, contact=wu, subject="Delivery date")
    do_abandon_interaction(gave_up.pk)

    do_set_agent_state(alex, AgentState.AVAILABLE)
    transferred = do_open_interaction(channel="chat", queue=cc.queue, contact=wu, subject="Refund")
    accept(transferred, alex)
    do_set_agent_state(bea, AgentState.AVAILABLE)
    do_transfer(Interaction.objects.get(pk=transferred.pk), alex.user, to_agent=bea)
    accept(transferred, bea)
    do_resolve(Interaction.objects.get(pk=transferred.pk), bea.user, disposition_id=solved.pk, note="Refunded")

    call = do_open_interaction(channel="voice", queue=cc.queue, contact=wu, case_id=transferred.case_id)
    accept(call, alex)

    # A web visit of three pages and a cart, and an older one-page visit (as the widget's tracker
    # records them), for the same customer.
    for n, (path, seconds) in enumerate([("/", 12), ("/shoes", 40), ("/checkout", 31)]):
        WebEvent.objects.create(
            contact=wu,
            session_id="visit-b",
            kind=WebEvent.Kind.PAGE,
            source=WebEvent.Source.WIDGET,
            name="page_view",
            url=f"https://shop.example{path}",
            title=path,
            properties={"seconds": seconds},
            occurred_at=now - timedelta(hours=2) + timedelta(minutes=n),
        )
    WebEvent.objects.create(
        contact=wu,
        session_id="visit-b",
        kind=WebEvent.Kind.EVENT,
        source=WebEvent.Source.WIDGET,
        name="cart",
        properties={"value": 129, "items": 3},
        occurred_at=now - timedelta(hours=2) + timedelta(minutes=2, seconds=30),
    )
    WebEvent.objects.create(
        contact=wu,
        session_id="visit-a",
        kind=WebEvent.Kind.PAGE,
        source=WebEvent.Source.WIDGET,
        name="page_view",
        url="https://shop.example/",
        occurred_at=now - timedelta(days=3),
    )
    do_rebuild_web_sessions([wu.pk])  # these rows were written directly, not through the tracker
    connection.set_schema_to_public()
    return {"wu": wu, "gave_up": gave_up, "transferred": transferred, "call": call}


def test_the_timeline_tells_what_happened_across_channels() -> None:
    cc = make_center("http://127.0.0.1:9")
    h = build_history(cc)
    owner = login(cc.info.host, cc.info.email)
    wu = h["wu"]
    events = post(
        owner,
        f"/api/v1/contacts/{wu.pk}/events",
        {"events": [{"name": "order_placed", "properties": {"order": "A-17", "value": 129}}]},
    )
    assert events.status_code == 201 and events.json() == {"recorded": 1}

    body = owner.get(f"/api/v1/contacts/{wu.pk}/journey").json()
    assert body["contact"]["name"] == "Wu Lei"
    kinds = [(e["type"], e.get("id") or e.get("name") or e.get("key")) for e in body["entries"]]
    assert kinds == [
        ("event", "order_placed"),
        ("interaction", h["call"].pk),
        ("interaction", h["transferred"].pk),
        ("interaction", h["gave_up"].pk),
        ("web_session", "svisit-b"),
        ("web_session", "svisit-a"),
    ]
    by_id = {e["id"]: e for e in body["entries"] if e["type"] == "interaction"}
    refund = by_id[h["transferred"].pk]
    assert [a["name"] for a in refund["agents"]] == ["Alex Agent", "Bea Agent"]
    assert len(refund["transfers"]) == 1 and refund["transfers"][0]["kind"] == "blind"
    assert refund["category"] == "Solved" and refund["outcome"] == "resolved"
    assert refund["resolution_note"] == "Refunded" and refund["ended_at"] is not None
    assert refund["wait_seconds"] is not None and refund["wait_seconds"] >= 0
    assert refund["handle_seconds"] is not None and refund["handle_seconds"] >= 0
    assert refund["links"]["record"] == f"/api/v1/interactions/{refund['id']}/record"
    gave_up = by_id[h["gave_up"].pk]
    assert gave_up["outcome"] == "abandoned" and gave_up["agents"] == [] and gave_up["handle_seconds"] is None
    call = by_id[h["call"].pk]
    assert call["channel"] == "voice" and call["outcome"] == "open"
    assert [a["name"] for a in call["agents"]] == ["Alex Agent"]
    # The refund chat and the call are one case.
    assert body["cases"] == {str(h["transferred"].case_id): [h["call"].pk, h["transferred"].pk]}
    visit = next(e for e in body["entries"] if e["key"] == "svisit-b")
    assert visit["page_count"] == 3 and visit["cart_value"] == 129
    assert [p["url"] for p in visit["pages"]][-1] == "https://shop.example/checkout"
    assert visit["events"] == [{"name": "cart", "count": 1}]

    summary = body["summary"]
    assert summary["last_contact"]["id"] == h["call"].pk and summary["last_contact"]["channel"] == "voice"
    assert summary["last_contact"]["agent"]["name"] == "Alex Agent"
    assert summary["by_channel"] == {"chat": 2, "voice": 1}
    assert summary["open_cases"] == 1  # the refund's case, with the call still open; not the chat Wu left
    assert summary["web_visits"] == 2


def test_filters_and_cursor_pages() -> None:
    cc = make_center("http://127.0.0.1:9")
    h = build_history(cc)
    owner = login(cc.info.host, cc.info.email)
    url = f"/api/v1/contacts/{h['wu'].pk}/journey"

    def ids(**params: Any) -> list[Any]:
        answer = owner.get(url, params)
        assert answer.status_code == 200, answer.content
        return [e.get("id") or e["key"] for e in answer.json()["entries"]]

    assert ids(channel="voice") == [h["call"].pk]
    assert ids(channel="chat") == [h["transferred"].pk, h["gave_up"].pk]
    assert ids(channel="web") == ["svisit-b", "svisit-a"]
    assert ids(outcome="abandoned") == [h["gave_up"].pk]
    assert ids(outcome="resolved") == [h["transferred"].pk]
    assert ids(outcome="transferred") == [h["transferred"].pk]
    assert ids(outcome="open") == [h["call"].pk]
    assert ids(outcome="waiting") == []
    assert ids(category="Solved") == [h["transferred"].pk]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert "svisit-a" not in ids(since=since) and "svisit-b" in ids(since=since)

    # Pages of two, followed by their cursors, give every entry once and in the same order.
    everything = ids(limit=100)
    seen: list[Any] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = owner.get(url, params).json()
        seen += [e.get("id") or e["key"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything and len(everything) == 5

    for params, field in [
        ({"channel": "fax"}, "channel"),
        ({"outcome": "happy"}, "outcome"),
        ({"since": "yesterday"}, "since"),
        ({"limit": "1000"}, "limit"),
        ({"cursor": "%%%"}, "cursor"),
    ]:
        answer = owner.get(url, params)
        assert answer.status_code == 400 and field in answer.json()["error"]["fields"], params


def test_merge_keeps_every_interaction_and_event() -> None:
    cc = make_center("http://127.0.0.1:9")
    h = build_history(cc)
    owner = login(cc.info.host, cc.info.email)
    connection.set_schema(cc.info.schema_name)
    anon = Contact.objects.create()
    WebEvent.objects.create(
        contact=anon,
        session_id="visit-c",
        kind=WebEvent.Kind.PAGE,
        source=WebEvent.Source.WIDGET,
        name="page_view",
        url="https://shop.example/help",
        occurred_at=timezone.now(),
    )
    do_rebuild_web_sessions([anon.pk])
    do_open_interaction(channel="chat", queue=cc.queue, contact=anon, subject="Hello?")
    do_merge_contacts(h["wu"], anon)
    connection.set_schema_to_public()
    body = owner.get(f"/api/v1/contacts/{h['wu'].pk}/journey", {"limit": 100}).json()
    assert body["summary"]["interactions"] == 4
    assert "svisit-c" in [e["key"] for e in body["entries"]]
    # The merged contact's id answers with the contact it went into.
    assert owner.get(f"/api/v1/contacts/{anon.pk}/journey").json()["contact"]["id"] == h["wu"].pk


def test_backend_events_are_checked_whole_and_purged_after_retention() -> None:
    cc = make_center("http://127.0.0.1:9")
    owner = login(cc.info.host, cc.info.email)
    connection.set_schema(cc.info.schema_name)
    wu = Contact.objects.create(name="Wu Lei")
    connection.set_schema_to_public()
    url = f"/api/v1/contacts/{wu.pk}/events"
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    good = {"name": "delivered", "properties": {"order": "A-17"}}
    for body, field, status in [
        ({"events": [good, {"name": "late", "at": future}]}, "events[1].at", 400),
        ({"events": [good, {"name": "9lives"}]}, "events[1].name", 400),
        ({"events": [good, {"name": "x", "at": "monday"}]}, "events[1].at", 400),
        ({"events": [good, {"name": "x", "properties": {"a": {"b": 1}}}]}, "events[1].properties", 400),
        ({"events": [good, {"name": "x", "color": "red"}]}, "events[1].color", 400),
        ({"events": [good] * 101}, "events", 400),
        ({"events": [{"name": "big", "properties": {"blob": "x" * 3000}}] * 30}, "events", 400),
        ({"events": []}, "events", 400),
    ]:
        answer = post(owner, url, body)
        assert answer.status_code == status, (field, answer.content)
        assert field in answer.json()["error"]["fields"], (field, answer.json())
    connection.set_schema(cc.info.schema_name)
    assert WebEvent.objects.count() == 0  # nothing of a refused batch was kept
    connection.set_schema_to_public()

    old = (timezone.now() - timedelta(days=40)).isoformat()
    assert post(owner, url, {"events": [good, {"name": "signed_up", "at": old}]}).json() == {"recorded": 2}
    agent = login(cc.info.host, f"agent1@{cc.info.subdomain}.test")
    assert post(agent, url, good).status_code == 403  # backend events come from admins' tokens

    connection.set_schema(cc.info.schema_name)
    do_save_journey_settings(None, web_event_retention_days=30)
    connection.set_schema_to_public()
    purged = purge_web_events.apply().get()
    assert purged[cc.info.schema_name] == 1
    connection.set_schema(cc.info.schema_name)
    assert list(WebEvent.objects.values_list("name", flat=True)) == ["delivered"]
    connection.set_schema_to_public()


def test_who_may_read_a_journey(tenant_b: TenantInfo) -> None:
    cc = make_center("http://127.0.0.1:9")
    h = build_history(cc)
    url = f"/api/v1/contacts/{h['wu'].pk}/journey"
    # Alex and Bea both handled Wu's conversations; a third agent did not.
    connection.set_schema(cc.info.schema_name)
    from apps.accounts.models import User
    from apps.agents.actions import ensure_agent_profile

    cy = User.objects.create_user(
        email=f"agent3@{cc.info.subdomain}.test", password=PASSWORD, full_name="Cy Agent", role="agent"
    )
    ensure_agent_profile(cy)
    sue = User.objects.create_user(
        email=f"sue@{cc.info.subdomain}.test", password=PASSWORD, full_name="Sue Visor", role="supervisor"
    )
    connection.set_schema_to_public()
    assert login(cc.info.host, f"agent2@{cc.info.subdomain}.test").get(url).status_code == 200
    assert login(cc.info.host, f"agent3@{cc.info.subdomain}.test").get(url).status_code == 404
    assert login(cc.info.host, sue.email).get(url).status_code == 200
    assert Client(HTTP_HOST=cc.info.host).get(url).status_code in (401, 403)
    assert login(tenant_b.host, tenant_b.email).get(url).status_code == 404


def test_purge_keeps_the_visits_true() -> None:
    cc = make_center("http://127.0.0.1:9")
    connection.set_schema(cc.info.schema_name)
    wu = Contact.objects.create(name="Wu Lei")
    now = timezone.now()

    def page(session: str, days_ago: float) -> None:
        WebEvent.objects.create(
            contact=wu,
            session_id=session,
            kind=WebEvent.Kind.PAGE,
            source=WebEvent.Source.WIDGET,
            name="page_view",
            url="https://shop.example/",
            occurred_at=now - timedelta(days=days_ago),
        )

    page("gone-visit", 40)
    page("gone-visit", 39.9)
    page("long-visit", 31)  # a visit that straddles the cutoff (made up: visits are minutes long)
    page("long-visit", 29)
    page("long-visit", 28)
    page("new-visit", 1)
    do_rebuild_web_sessions([wu.pk])
    do_save_journey_settings(None, web_event_retention_days=30)
    connection.set_schema_to_public()
    assert purge_web_events.apply().get()[cc.info.schema_name] == 3
    connection.set_schema(cc.info.schema_name)
    from apps.journey.models import WebSession

    visits = dict(WebSession.objects.values_list("session_id", "pages"))
    assert visits == {"long-visit": 2, "new-visit": 1}
    connection.set_schema_to_public()
