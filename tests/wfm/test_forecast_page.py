"""The forecast page in Chromium (issue 15): a supervisor reads a queue's forecast with its accuracy
and chart, replaces one interval's figure by hand and takes it back, closes a day as a holiday, and is
told what is wrong with a bad figure; agents are refused the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.routing.models import Queue
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page
from tests.wfm.test_forecast import seed_history


def test_the_forecast_page(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    queue = Queue.objects.get(name="Support")
    User.objects.create_user(email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor")
    User.objects.create_user(email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    # A Monday ahead: the page opens on a busy weekday.
    today = datetime.now(UTC).date()
    first = today + timedelta(days=7 - today.weekday())
    seed_history(queue, first, weeks=8, scale=1.0, seed=7)
    connection.set_schema_to_public()

    sue = signed_in_page(browser, web_server, tenant_a, f"sue@{tenant_a.subdomain}.test")
    sue.goto(web_server.url(f"/wfm/forecast/?from={first.isoformat()}", tenant_a.subdomain))
    kpis = sue.get_by_test_id("forecast-kpis")
    expect(kpis.locator('[data-metric="wape"] .kpi-value')).to_have_text(re.compile(r"^\d+(\.\d+)?%$"))
    expect(kpis.locator('[data-metric="aht"] .kpi-value')).to_have_text("240 s")
    expect(sue.get_by_test_id("forecast-chart").locator("canvas")).to_be_visible()
    table = sue.get_by_test_id("forecast-table")
    expect(table.locator("tbody tr")).to_have_count(48)
    noon = table.locator("tr", has=sue.locator("th", has_text="12:00"))
    agents_before = int(noon.locator("[data-agents]").inner_text())
    assert agents_before >= 1

    # A planner's own figure: saved with Enter, marked, and the agents needed follow it.
    noon.get_by_label("Contacts at 12:00").fill("200")
    noon.get_by_label("Contacts at 12:00").press("Enter")
    expect(sue.locator(".messages")).to_have_text("Override saved.")
    noon = sue.get_by_test_id("forecast-table").locator("tr", has=sue.locator("th", has_text="12:00"))
    expect(noon).to_have_class(re.compile("overridden"))
    expect(noon.get_by_label("Contacts at 12:00")).to_have_value("200.0")
    assert int(noon.locator("[data-agents]").inner_text()) > agents_before
    expect(sue.get_by_test_id("forecast-kpis").locator('[data-metric="overrides"] .kpi-value')).to_have_text("1")

    # A bad figure is said, and nothing changes.
    noon.get_by_label("Handle time at 12:00").fill("lots")
    noon.get_by_role("button", name="Save").click()
    expect(sue.locator(".messages")).to_contain_text("A number from 0 to 86400, or null.")
    # Both emptied: the model's figure is back.
    noon = sue.get_by_test_id("forecast-table").locator("tr", has=sue.locator("th", has_text="12:00"))
    noon.get_by_label("Contacts at 12:00").fill("")
    noon.get_by_label("Handle time at 12:00").fill("")
    noon.get_by_role("button", name="Save").click()
    expect(sue.locator(".messages")).to_have_text("Override removed: the forecast's own figure is back.")
    noon = sue.get_by_test_id("forecast-table").locator("tr", has=sue.locator("th", has_text="12:00"))
    expect(noon).not_to_have_class(re.compile("overridden"))
    assert int(noon.locator("[data-agents]").inner_text()) == agents_before

    # The first day closed as a holiday: nothing is forecast for it.
    holidays = sue.get_by_test_id("holiday-form")
    holidays.get_by_label("Day", exact=True).fill(first.isoformat())
    holidays.get_by_label("Name").fill("Founders' day")
    holidays.get_by_role("button", name="Add holiday").click()
    expect(sue.locator(".messages")).to_have_text(f"Holiday {first.isoformat()} saved.")
    expect(sue.get_by_test_id("holidays")).to_contain_text("Founders' day")
    cells = sue.get_by_test_id("forecast-table").locator("[data-agents]")
    expect(cells).to_have_count(48)
    assert set(cells.all_inner_texts()) == {"0"}
    sue.screenshot(path="test-artifacts/wfm-forecast.png", full_page=True)
    sue.get_by_test_id("holidays").get_by_role("button", name=f"Remove the holiday of {first.isoformat()}").click()
    expect(sue.locator(".messages")).to_have_text("Holiday removed.")
    expect(sue.get_by_test_id("holidays")).not_to_contain_text("Founders' day")

    # A bad period is said beside the filters.
    sue.goto(web_server.url("/wfm/forecast/?days=90", tenant_a.subdomain))
    expect(sue.get_by_test_id("forecast-error")).to_contain_text("1 to 28.")
    sue.context.close()

    ann = signed_in_page(browser, web_server, tenant_a, f"ann@{tenant_a.subdomain}.test")
    response = ann.goto(web_server.url("/wfm/forecast/", tenant_a.subdomain))
    assert response is not None and response.status == 403
    ann.context.close()
