"""Bad input never gives a 500 or kills a socket (issue 11, section 5): deeply nested JSON, bodies over
the size limit, too many fields, NUL and lone surrogates, over HTTP (JSON API, form posts, the public
sign-up form, query parameters) and in WebSocket frames (widget and desktop). Each gets a 400 with the
product's error body, or an error frame, and the socket stays open."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from apps.inbox.models import CannedResponse
from tests.conftest import PASSWORD, TenantInfo, WebServer, create_tenant
from tests.inbox.conftest import ContactCenter, make_center
from tests.inbox.test_widget_ws import SHOP, widget
from tests.ws import open_ws, recv_json, run_async

DEEP = "[" * 20_000 + "]" * 20_000  # under the 64 KiB frame limit, far deeper than Python's recursion limit
NUL = '"a\\u0000b"'
SURROGATE = '"a\\ud800b"'


@pytest.fixture
def tenant() -> TenantInfo:
    return create_tenant("bad")


def owner_client(info: TenantInfo) -> Client:
    from rest_framework.authtoken.models import Token

    connection.set_schema(info.schema_name)
    key = Token.objects.get_or_create(user=info.owner)[0].key
    connection.set_schema_to_public()
    return Client(HTTP_HOST=info.host, HTTP_AUTHORIZATION=f"Token {key}")


def error_of(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    return dict(response.json()["error"])


@pytest.mark.parametrize(
    ("title", "code"),
    [(NUL, "bad_input"), (SURROGATE, "bad_input"), (DEEP, "bad_input"), ('"x", "n": NaN', "parse_error")],
    ids=["nul", "lone-surrogate", "nested", "nan"],
)
def test_json_api_answers_400_for_text_the_database_cannot_hold(tenant: TenantInfo, title: str, code: str) -> None:
    api = owner_client(tenant)
    body = '{"shortcut": "hi", "body": "Hello", "title": ' + title + "}"
    response = api.post("/api/v1/canned-responses", data=body, content_type="application/json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == code and error["message"]
    if title in (NUL, SURROGATE):
        assert error["fields"] == {"title": ["Contains a character that is not allowed."]}
    connection.set_schema(tenant.schema_name)
    assert not CannedResponse.objects.exists()


def test_json_api_refuses_bodies_over_the_size_limit_and_too_many_values(tenant: TenantInfo) -> None:
    api = owner_client(tenant)
    big = json.dumps({"shortcut": "hi", "title": "t", "body": "x" * 3_000_000})
    response = api.post("/api/v1/canned-responses", data=big, content_type="application/json")
    assert (response.status_code, error_of(response)["code"]) == (400, "too_large")
    many = json.dumps({"shortcut": "hi", "title": "t", "body": "b", "tags": list(range(20_000))})
    response = api.post("/api/v1/canned-responses", data=many, content_type="application/json")
    assert (response.status_code, error_of(response)["code"]) == (400, "bad_input")
    assert "Too many values" in error_of(response)["message"]


def test_form_bodies_and_query_parameters_are_checked_before_any_view(tenant: TenantInfo) -> None:
    api = owner_client(tenant)
    # Too many form fields to an API that takes forms (the token exchange).
    fields = {f"f{i}": "1" for i in range(1_200)}
    response = Client(HTTP_HOST=tenant.host).post("/api/v1/token", data=fields)
    assert (response.status_code, error_of(response)["code"]) == (400, "too_many_fields")
    # NUL in a form field and in a query parameter.
    response = Client(HTTP_HOST=tenant.host).post("/api/v1/token", data={"email": "a\x00@x.test", "password": "p"})
    assert (response.status_code, error_of(response)["fields"]) == (
        400,
        {"email": ["Contains a character that is not allowed."]},
    )
    response = api.get("/api/v1/inbox?view=all&label=a%00b")
    assert (response.status_code, error_of(response)["code"]) == (400, "bad_input")


def test_the_public_signup_form_answers_bad_input_with_the_products_page() -> None:
    public = Client(HTTP_HOST="localhost")
    values = {"company_name": "Nul\x00 Ltd", "subdomain": "nulltd", "email": "a@nul.test", "password": PASSWORD}
    response = public.post("/signup/", data=values)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="error-page"' in page and "may not contain NUL characters" in page
    response = public.post("/signup/", data={f"f{i}": "1" for i in range(1_200)})
    assert response.status_code == 400 and "too many fields" in response.content.decode()


def test_widget_socket_answers_bad_frames_with_error_frames_and_stays_open(web_server: WebServer) -> None:
    cc: ContactCenter = make_center(SHOP)

    async def scenario() -> list[dict[str, Any]]:
        ws, _welcome = await widget(web_server, cc)
        replies = []
        for frame in [
            DEEP,
            '{"type": "message.send", "body": ' + NUL + "}",
            '{"type": "message.send", "body": ' + SURROGATE + "}",
            '{"type": "prechat.submit", "name": ' + NUL + ', "email": "a@b.test"}',
            json.dumps({"type": "message.send", "body": "hi", "junk": [0] * 12_000}),
        ]:
            await ws.send(frame)
            replies.append(await recv_json(ws))
        await ws.send(json.dumps({"type": "message.send", "body": "still here"}))
        replies.append(await recv_json(ws))
        await ws.close()
        return replies

    *errors, last = run_async(scenario())
    assert [(e["type"], e["code"]) for e in errors] == [("error", "bad_input")] * 5
    assert errors[0]["message"] == "Nested too deeply: at most 32 levels are accepted."
    assert errors[1]["message"] == "Text may not contain NUL characters or unpaired surrogates."
    assert last["type"] == "conversation.started"


def test_desktop_socket_answers_bad_frames_with_error_frames_and_stays_open(
    web_server: WebServer, tenant: TenantInfo
) -> None:
    session = Client(HTTP_HOST=tenant.host)
    assert session.post("/login/", {"username": tenant.email, "password": PASSWORD}).status_code == 302

    async def scenario() -> list[dict[str, Any]]:
        desk = await open_ws(web_server.port, tenant.host, cookie=f"sessionid={session.cookies['sessionid'].value}")
        await recv_json(desk)  # hello
        replies = []
        for frame in [DEEP, '{"type": "agent.set_state", "state": ' + NUL + "}"]:
            await desk.send(frame)
            replies.append(await recv_json(desk))
        await desk.send(json.dumps({"type": "ping", "seq": 7}))
        replies.append(await recv_json(desk))
        await desk.close()
        return replies

    deep, nul, pong = run_async(scenario())
    assert (deep["type"], deep["code"], nul["code"]) == ("error", "bad_input", "bad_input")
    assert pong == {"type": "pong", "seq": 7}
