# ruff: noqa: F811  (the shop fixture is imported from tests.inbox.conftest)
"""Widget keys: allowed origins are stored normalised and bad ones refused with a clear message,
over the API and the admin form; a key saved with a trailing slash works on that page in Chromium."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from apps.accounts.models import AuditEntry, User
from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState
from apps.routing.models import Queue
from apps.widget.models import WidgetKey
from tests.conftest import TenantInfo, WebServer
from tests.inbox.conftest import Shop, make_center, shop  # noqa: F401  (the fixture)

JSON = "application/json"


def admin_client(tenant: TenantInfo) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    client.force_login(tenant.owner)
    return client


def test_origins_are_stored_normalised_and_bad_ones_refused(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    client = admin_client(tenant_a)
    queue = Queue.objects.get(name="Support")
    created = client.post(
        "/api/v1/widget-keys",
        {
            "name": "Shop",
            "queue": queue.pk,
            "allowed_origins": ["http://127.0.0.1:9100/", " Shop.Example.COM/cart?x=1", "https://shop.example.com:443"],
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["allowed_origins"] == ["http://127.0.0.1:9100", "https://shop.example.com"]
    assert body["snippet"] == (
        f'<script src="http://{tenant_a.host}/widget.js" data-key="{body["public_key"]}" async></script>'
    )
    key = WidgetKey.objects.get(pk=body["id"])
    assert key.allowed_origins == ["http://127.0.0.1:9100", "https://shop.example.com"]
    assert key.allows_origin("http://127.0.0.1:9100") and key.allows_origin("https://SHOP.example.com")
    assert not key.allows_origin("http://127.0.0.1:9101")
    assert AuditEntry.objects.filter(verb="widget_key.created", object_id=str(key.pk), actor=tenant_a.owner).exists()

    refused = client.patch(
        f"/api/v1/widget-keys/{key.pk}",
        {"allowed_origins": ["shop dot com", "ftp://files.example.com", "https://ok.example.com"]},
        content_type=JSON,
    )
    assert refused.status_code == 400
    errors = refused.json()["error"]["fields"]["allowed_origins"]
    assert "“shop dot com” has spaces: enter an address like https://shop.example.com." in errors
    assert "“ftp://files.example.com” must start with https:// or http://." in errors
    key.refresh_from_db()
    assert key.allowed_origins == ["http://127.0.0.1:9100", "https://shop.example.com"]  # nothing half-saved

    patched = client.patch(
        f"/api/v1/widget-keys/{key.pk}",
        {"allowed_origins": ["https://new.example.com/"]},
        content_type=JSON,
    )
    assert patched.status_code == 200 and patched.json()["allowed_origins"] == ["https://new.example.com"]
    listed = client.get("/api/v1/widget-keys")
    assert [k["name"] for k in listed.json()] == ["Website", "Shop"]

    agent = User.objects.create_user(email="a@x.test", password="x", role=User.Role.AGENT)
    agent_client = Client(HTTP_HOST=tenant_a.host)
    agent_client.force_login(agent)
    assert agent_client.get("/api/v1/widget-keys").status_code == 403
    assert agent_client.patch(f"/api/v1/widget-keys/{key.pk}", {"name": "x"}, content_type=JSON).status_code == 403


def test_the_admin_form_normalises_and_explains(tenant_a: TenantInfo) -> None:
    from apps.widget.admin import WidgetKeyForm

    connection.set_schema(tenant_a.schema_name)
    queue = Queue.objects.get(name="Support")
    form = WidgetKeyForm(
        data={
            "name": "Site",
            "queue": queue.pk,
            "allowed_origins": "shop dot com,https://ok.example.com",
            "greeting": "Hi",
        }
    )
    assert not form.is_valid()
    assert form.errors["allowed_origins"] == [
        "“shop dot com” has spaces: enter an address like https://shop.example.com."
    ]
    form = WidgetKeyForm(
        data={"name": "Site", "queue": queue.pk, "allowed_origins": "HTTP://Localhost:8000/", "greeting": "Hi"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["allowed_origins"] == ["http://localhost:8000"]


def test_a_key_saved_with_a_trailing_slash_works_on_that_page(browser: Any, web_server: WebServer, shop: Shop) -> None:
    center = make_center("https://elsewhere.example.com")
    connection.set_schema(center.info.schema_name)
    do_set_agent_state(center.agents[0], AgentState.AWAY)  # someone is signed in: the chat is open
    client = Client(HTTP_HOST=center.info.host)
    client.force_login(center.info.owner)
    response = client.patch(
        f"/api/v1/widget-keys/{center.key.pk}",
        {"allowed_origins": [shop.origin + "/"]},
        content_type=JSON,
    )
    assert response.status_code == 200 and response.json()["allowed_origins"] == [shop.origin]
    customer = browser.new_context(locale="en-US").new_page()
    customer.set_default_timeout(15000)
    customer.goto(shop.page("slash.html", center.snippet(web_server)))
    customer.locator("[data-ccaas-widget] button").click()
    chat = customer.frame_locator("[data-ccaas-widget] iframe")
    expect(chat.locator("#title")).to_have_text("Hi! How can we help?")
    chat.locator("#input").fill("Hello from the shop")
    chat.locator("#input").press("Enter")
    expect(chat.locator(".msg.customer .body")).to_have_text(["Hello from the shop"])
    customer.context.close()
