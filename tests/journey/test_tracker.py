"""The website tracker (issue 13): what the widget loader sends to /widget/events/ is checked whole,
stored for the visitor its signed token names, kept only from allowed sites, stripped of query
parameters the tenant did not allow, throttled per visitor; time on page lands on its page view."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from apps.inbox.models import Contact
from apps.journey.actions import do_save_journey_settings
from apps.journey.models import WebEvent
from apps.widget.identity import visitor_token
from tests.inbox.conftest import ContactCenter, make_center

SHOP = "http://127.0.0.1:9"


def setup() -> tuple[ContactCenter, Contact, str]:
    cc = make_center(SHOP)
    connection.set_schema(cc.info.schema_name)
    visitor = Contact.objects.create()
    tok = visitor_token(cc.info.schema_name, cc.key.pk, visitor.pk, "v-abcdefgh")
    connection.set_schema_to_public()
    return cc, visitor, tok


def send(cc: ContactCenter, body: Any, origin: str = SHOP) -> Any:
    client = Client(HTTP_HOST=cc.info.host)
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post("/widget/events/", raw, content_type="text/plain", HTTP_ORIGIN=origin)


def now() -> str:
    return timezone.now().isoformat()


def stored(cc: ContactCenter) -> list[WebEvent]:
    connection.set_schema(cc.info.schema_name)
    rows = list(WebEvent.objects.order_by("occurred_at", "pk"))
    connection.set_schema_to_public()
    return rows


def test_page_views_events_and_time_on_page_are_recorded() -> None:
    cc, visitor, tok = setup()
    connection.set_schema(cc.info.schema_name)
    do_save_journey_settings(None, allowed_query_params=["utm_source"])
    connection.set_schema_to_public()
    page = {
        "type": "page",
        "view": "view-0001",
        "session": "sess-0001",
        "at": now(),
        "url": f"{SHOP}/shoes?utm_source=mail&email=wu@example.com#reviews",
        "title": "Shoes",
        "referrer": "https://search.example/?q=my+name+and+address",
    }
    cart = {
        "type": "event",
        "name": "cart",
        "properties": {"value": 129, "items": 3},
        "session": "sess-0001",
        "at": now(),
        "url": f"{SHOP}/shoes",
    }
    answer = send(cc, {"key": cc.key.public_key, "visitor": tok, "events": [page, cart]})
    assert answer.status_code == 204, answer.content
    assert answer["Access-Control-Allow-Origin"] == SHOP
    answer = send(
        cc,
        {
            "key": cc.key.public_key,
            "visitor": tok,
            "events": [{"type": "page_time", "view": "view-0001", "session": "sess-0001", "seconds": 42}],
        },
    )
    assert answer.status_code == 204, answer.content
    rows = stored(cc)
    assert [(r.kind, r.name, r.contact_id, r.session_id) for r in rows] == [
        ("page", "page_view", visitor.pk, "sess-0001"),
        ("event", "cart", visitor.pk, "sess-0001"),
    ]
    # Only the allowed parameter stays; the fragment and another site's query are dropped.
    assert rows[0].url == f"{SHOP}/shoes?utm_source=mail"
    assert rows[0].referrer == "https://search.example/"
    assert rows[0].properties == {"view": "view-0001", "seconds": 42}
    assert rows[1].properties == {"value": 129, "items": 3}


def test_refused_batches_store_nothing_and_say_why() -> None:
    cc, _visitor, tok = setup()
    good = {"type": "page", "view": "view-0001", "session": "sess-0001", "at": now(), "url": f"{SHOP}/"}
    old = (timezone.now() - timedelta(days=2)).isoformat()
    cases: list[tuple[Any, int, str]] = [
        ({"key": cc.key.public_key, "visitor": tok, "events": [good, {**good, "at": old}]}, 400, "events[1].at"),
        (
            {"key": cc.key.public_key, "visitor": tok, "events": [good, {**good, "url": "javascript:alert(1)"}]},
            400,
            "events[1].url",
        ),
        (
            {"key": cc.key.public_key, "visitor": tok, "events": [good, {**good, "session": "x"}]},
            400,
            "events[1].session",
        ),
        (
            {"key": cc.key.public_key, "visitor": tok, "events": [good, {**good, "type": "click"}]},
            400,
            "events[1].type",
        ),
        (
            {"key": cc.key.public_key, "visitor": tok, "events": [good, {**good, "password": "x"}]},
            400,
            "events[1].password",
        ),
        ({"key": cc.key.public_key, "visitor": tok, "events": [good] * 101}, 400, "events"),
    ]
    for body, status, field in cases:
        answer = send(cc, body)
        assert answer.status_code == status, (field, answer.content)
        assert field in answer.json()["error"]["fields"], (field, answer.json())
    assert send(cc, {"key": cc.key.public_key, "visitor": "forged", "events": [good]}).json()["error"]["code"] == (
        "unknown_visitor"
    )
    assert (
        send(
            cc, {"key": cc.key.public_key, "visitor": tok, "events": [good]}, origin="https://evil.example"
        ).status_code
        == 403
    )
    assert send(cc, {"key": "pk_unknown", "visitor": tok, "events": [good]}).status_code == 403
    assert send(cc, b"{not json").status_code == 400
    assert send(cc, b"[" * 5000).status_code == 400
    assert send(cc, json.dumps({"key": "x" * 70_000})).status_code == 413
    assert stored(cc) == []


@override_settings(WEB_EVENT_BATCHES_PER_MINUTE=3)
def test_a_flooding_visitor_is_throttled() -> None:
    cc, _visitor, tok = setup()
    good = {"type": "page", "view": "view-0001", "session": "sess-0001", "at": now(), "url": f"{SHOP}/"}
    answers = [send(cc, {"key": cc.key.public_key, "visitor": tok, "events": [good]}) for _ in range(5)]
    assert [a.status_code for a in answers] == [204, 204, 204, 429, 429]
    assert int(answers[-1]["Retry-After"]) >= 1
    assert len(stored(cc)) == 3
