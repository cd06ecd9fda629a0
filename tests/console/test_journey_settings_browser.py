"""The journey settings page and API (issue 13): retention and the query parameters kept, each bad
value answered beside its field, saved values used by the tracker's check; owners and admins only."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from apps.accounts.models import AuditEntry, User
from apps.journey.models import JourneySettings
from tests.conftest import PASSWORD, TenantInfo, WebServer
from tests.console.test_widget_settings_browser import signed_in


def test_an_admin_sets_what_the_journey_keeps(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    page = signed_in(browser, web_server, tenant_a)
    page.goto(web_server.url("/settings/", subdomain=tenant_a.subdomain))
    page.get_by_role("link", name="Customer journey").click()
    expect(page.locator("h1")).to_have_text("Customer journey")
    expect(page.get_by_label("Keep web events for (days)")).to_have_value("180")

    page.get_by_label("Keep web events for (days)").fill("ninety")
    page.get_by_role("button", name="Save").click()
    expect(page.locator('[data-field="web_event_retention_days"]')).to_have_text("Enter a whole number of days.")
    page.get_by_label("Keep web events for (days)").fill("5000")
    page.get_by_role("button", name="Save").click()
    expect(page.locator('[data-field="web_event_retention_days"]')).to_have_text("Between 1 and 3,650.")
    page.get_by_label("Keep web events for (days)").fill("90")
    page.get_by_label("Query parameters to keep in page addresses").fill("utm_source\nutm campaign")
    page.get_by_role("button", name="Save").click()
    expect(page.locator('[data-field="allowed_query_params"]')).to_have_text("For example utm_source, utm_campaign.")
    page.get_by_label("Query parameters to keep in page addresses").fill("utm_source\nutm_campaign")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("saved")).to_have_text("Saved.")

    connection.set_schema(tenant_a.schema_name)
    current = JourneySettings.current()
    assert (current.web_event_retention_days, current.allowed_query_params) == (90, ["utm_campaign", "utm_source"])
    assert AuditEntry.objects.filter(verb="journey.settings_saved").count() == 1  # the refused ones wrote nothing
    User.objects.create_user(email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()
    page.context.close()

    # The API: the same settings and checks; a supervisor may not change them.
    owner = Client(HTTP_HOST=tenant_a.host)
    assert owner.post("/login/", {"username": tenant_a.email, "password": PASSWORD}).status_code == 302
    assert owner.get("/api/v1/journey/settings").json() == {
        "web_event_retention_days": 90,
        "allowed_query_params": ["utm_campaign", "utm_source"],
    }
    bad = owner.patch(
        "/api/v1/journey/settings", json.dumps({"web_event_retention_days": 0}), content_type="application/json"
    )
    assert bad.status_code == 400 and "web_event_retention_days" in bad.json()["error"]["fields"]
    ok = owner.patch(
        "/api/v1/journey/settings", json.dumps({"allowed_query_params": []}), content_type="application/json"
    )
    assert ok.json() == {"web_event_retention_days": 90, "allowed_query_params": []}
    sue = Client(HTTP_HOST=tenant_a.host)
    assert sue.post("/login/", {"username": f"sue@{tenant_a.subdomain}.test", "password": PASSWORD}).status_code == 302
    assert sue.get("/settings/journey/").status_code == 403
    assert sue.patch("/api/v1/journey/settings", "{}", content_type="application/json").status_code == 403
