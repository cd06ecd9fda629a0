"""The website tracker (issue 13): what the widget loader sends to /widget/events/ is checked whole,
stored for the visitor its signed token names, kept only from allowed sites, stripped of query
parameters the tenant did not allow, throttled per visitor; time on page lands on its page view.
Through the real web process (daphne): the endpoint runs on its event loop, not in Django's views."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.inbox.models import Contact
from apps.journey.actions import do_rebuild_web_sessions, do_save_journey_settings
from apps.journey.models import WebEvent, WebSession
from apps.widget.identity import visitor_token
from tests.conftest import WebServer
from tests.inbox.conftest import ContactCenter, make_center

SHOP = "http://127.0.0.1:9"


def setup() -> tuple[ContactCenter, Contact, str]:
    cc = make_center(SHOP)
    connection.set_schema(cc.info.schema_name)
    visitor = Contact.objects.create()
    tok = visitor_token(cc.info.schema_name, cc.key.pk, visitor.pk, "v-abcdefgh")
    connection.set_schema_to_public()
    return cc, visitor, tok


class Answer:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status_code, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)

    def __getitem__(self, name: str) -> str:
        return str(self.headers[name])


WEB: WebServer | None = None


def send(cc: ContactCenter, body: Any, origin: str = SHOP) -> Answer:
    assert WEB is not None
    raw = body if isinstance(body, bytes) else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
    request = urllib.request.Request(
        f"http://127.0.0.1:{WEB.port}/widget/events/",
        data=raw,
        method="POST",
        headers={"Host": f"{cc.info.host}:{WEB.port}", "Origin": origin, "Content-Type": "text/plain"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.headers, exc.read())


@pytest.fixture(autouse=True)
def _web(web_server: WebServer) -> None:
    global WEB
    WEB = web_server


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
    # The visit's rollup, kept by the same statement, is what recounting the events gives.
    connection.set_schema(cc.info.schema_name)
    live = list(WebSession.objects.values_list("contact_id", "session_id", "pages", "events", "cart_value"))
    assert live == [(visitor.pk, "sess-0001", 1, 1, 129.0)]
    do_rebuild_web_sessions([visitor.pk])
    assert list(WebSession.objects.values_list("contact_id", "session_id", "pages", "events", "cart_value")) == live
    connection.set_schema_to_public()


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


def test_a_flooding_visitor_is_throttled() -> None:
    cc, _visitor, tok = setup()
    limit = settings.WEB_EVENT_BATCHES_PER_MINUTE
    good = {"type": "page", "view": "view-0001", "session": "sess-0001", "at": now(), "url": f"{SHOP}/"}
    answers = [send(cc, {"key": cc.key.public_key, "visitor": tok, "events": [good]}) for _ in range(limit + 2)]
    assert [a.status_code for a in answers] == [204] * limit + [429, 429]
    assert int(answers[-1]["Retry-After"]) >= 1
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert len(stored(cc)) == limit
    # Another visitor of the same site is not held back.
    connection.set_schema(cc.info.schema_name)
    other = Contact.objects.create()
    other_token = visitor_token(cc.info.schema_name, cc.key.pk, other.pk, "v-other123")
    connection.set_schema_to_public()
    assert send(cc, {"key": cc.key.public_key, "visitor": other_token, "events": [good]}).status_code == 204


def test_nothing_crosses_tenants() -> None:
    a, _visitor_a, token_a = setup()
    b, _visitor_b, _token_b = setup()
    good = {"type": "page", "view": "view-0001", "session": "sess-0001", "at": now(), "url": f"{SHOP}/"}
    # A's key on B's host: B has no such key.
    assert send(b, {"key": a.key.public_key, "visitor": token_a, "events": [good]}).status_code == 403
    # B's own key with A's visitor token: the token names A's schema, so B does not know the visitor.
    answer = send(b, {"key": b.key.public_key, "visitor": token_a, "events": [good]})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "unknown_visitor"
    assert stored(a) == [] and stored(b) == []
    # The control: the same batch on A's own host is recorded there.
    assert send(a, {"key": a.key.public_key, "visitor": token_a, "events": [good]}).status_code == 204
    assert len(stored(a)) == 1 and stored(b) == []
