"""Canned responses: a variable the product does not know is refused when saved (over the API and on
the settings page, with the list of known ones), so none reaches a customer as typed; the preview
shows what a customer would read; `{{ contact.name }}` works like `{{ customer.name }}`."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from apps.accounts.models import AuditEntry
from apps.inbox.actions import render_canned
from apps.inbox.models import CannedResponse, Contact, Interaction
from tests.conftest import TenantInfo, WebServer
from tests.console.test_widget_settings_browser import signed_in


def test_unknown_variables_are_refused_over_the_api(tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    client = Client(HTTP_HOST=tenant_a.host)
    client.force_login(tenant_a.owner)
    bad = client.post(
        "/api/v1/canned-responses",
        {"shortcut": "hi", "title": "Hi", "body": "Hello {{ contact.nam }}"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["body"][0].startswith("Unknown variable {{ contact.nam }}. Use one of:")
    good = client.post(
        "/api/v1/canned-responses",
        {"shortcut": "hi", "title": "Hi", "body": "Hello {{ contact.name }}, {{ agent.first_name }} here."},
        content_type="application/json",
    )
    assert good.status_code == 201, good.content
    response = CannedResponse.objects.get(shortcut="hi")
    assert AuditEntry.objects.filter(verb="canned_response.created", object_id=str(response.pk)).exists()
    chat = Interaction.objects.create(channel="chat", contact=Contact.objects.create(name="Kim Lee"))
    tenant_a.owner.full_name = "Olga Owner"
    assert render_canned(response, chat, tenant_a.owner) == "Hello Kim Lee, Olga here."


def test_the_settings_page_previews_and_explains(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    page = signed_in(browser, web_server, tenant_a)
    page.goto(web_server.url("/settings/canned/", subdomain=tenant_a.subdomain))
    new = page.get_by_test_id("canned-new")
    new.locator("input[name=shortcut]").fill("thanks")
    new.locator("input[name=title]").fill("Thanks")
    new.locator("textarea[name=body]").fill("Thanks {{ contact.first_name }}!")
    expect(new.get_by_test_id("preview")).to_have_text("Thanks Jo!")
    new.locator("textarea[name=body]").fill("Thanks {{ contact.nickname }}!")
    expect(new.get_by_test_id("preview-error")).to_contain_text("Unknown variable {{ contact.nickname }}.")
    new.get_by_role("button", name="Add").click()
    expect(page.locator("[data-field=body]")).to_contain_text("Unknown variable {{ contact.nickname }}.")
    connection.set_schema(tenant_a.schema_name)
    assert not CannedResponse.objects.filter(shortcut="thanks").exists()
    page.get_by_test_id("canned-new").locator("textarea[name=body]").fill("Thanks {{ customer.first_name }}!")
    page.get_by_test_id("canned-new").get_by_role("button", name="Add").click()
    expect(page.locator("#canned-list section.canned")).to_have_count(1)  # saved, and listed after the reload
    saved = CannedResponse.objects.get(shortcut="thanks")
    expect(page.get_by_test_id(f"canned-{saved.pk}").locator("input[name=title]")).to_have_value("Thanks")
    assert saved.body == "Thanks {{ customer.first_name }}!"
    page.context.close()
