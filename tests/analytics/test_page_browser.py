"""The analytics page in Chromium (issue 15): a supervisor finds it in the menu, reads the sentiment and
topic charts with the numbers behind them, adds a topic (a mistake is said, the fix is confirmed) and
removes one, by keyboard; an agent has no such menu item and is refused the page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.analytics.actions import do_save_topic, do_store_analysis
from apps.analytics.analysis import analyse
from apps.routing.models import Queue
from tests.a11y import serious_violations
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page
from tests.processes import ARTIFACTS

from .conftest import chat


def test_a_supervisor_reads_trends_and_manages_topics(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo
) -> None:
    connection.set_schema(tenant_a.schema_name)
    sue = User.objects.create_user(
        email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor", full_name="Sue"
    )
    User.objects.create_user(email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent", full_name="Ann")
    do_save_topic(sue, name="Refunds", phrases=["refund"])
    support = Queue.objects.get(name="Support")
    now = timezone.now()
    for days, lines in (
        (1, [("customer", "Awful, I want a refund."), ("customer", "Still terrible.")]),
        (1, [("customer", "Refund please, the blender is broken")]),
        (0, [("customer", "Thanks, wonderful service!")]),
    ):
        i = chat(lines, queue=support, status="resolved", resolved_at=now - timedelta(days=days))
        do_store_analysis(i, analyse(i))
    connection.set_schema_to_public()

    page = signed_in_page(browser, web_server, tenant_a, sue.email)
    page.get_by_test_id("main-nav").get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Interaction analytics")).to_be_visible()
    expect(page.get_by_test_id("kpi-interactions")).to_have_text("3")
    # The charts are drawn (uPlot's canvas) and the numbers are in a table too.
    expect(page.get_by_test_id("sentiment-chart").locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("topics-chart").locator("canvas")).to_have_count(1)
    yesterday = (now - timedelta(days=1)).date().isoformat()
    row = page.get_by_test_id("sentiment-table").locator(f'tr[data-day="{yesterday}"]')
    expect(row.locator("td").nth(0)).to_have_text("2")
    expect(page.get_by_test_id("topics-by-queue")).to_contain_text("Support")
    expect(page.get_by_test_id("topics-by-queue").locator("tbody td").first).to_have_text("2")
    expect(page.get_by_test_id("keywords")).to_contain_text("refund")
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "analytics.png"), full_page=True)

    # A topic without phrases is refused, saying why; with phrases it is added (by keyboard).
    topics = page.get_by_test_id("topics")
    topics.get_by_label("Name").fill("Cancellations")
    topics.get_by_label("Phrases, separated by commas").press("Enter")
    expect(page.get_by_test_id("topic-error")).to_contain_text("1 to 50 phrases.")
    expect(page.get_by_test_id("topics").get_by_label("Name")).to_have_value("Cancellations")  # nothing typed lost
    page.get_by_test_id("topics").get_by_label("Phrases, separated by commas").fill("cancel, 取消订单")
    page.get_by_test_id("topics").get_by_label("Phrases, separated by commas").press("Enter")
    expect(page.locator(".messages")).to_contain_text("Topic “Cancellations” saved")
    expect(page.get_by_test_id("topics").locator("li", has_text="Cancellations")).to_contain_text("cancel, 取消订单")
    page.get_by_role("button", name="Remove the topic Refunds").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_have_text("Topic removed.")
    expect(page.get_by_test_id("topics").locator("li", has_text="Refunds")).to_have_count(0)
    # A bad range is said, and the page still shows.
    page.goto(web_server.url("/analytics/?from=2026-01-01&to=2026-12-31", tenant_a.subdomain))
    expect(page.get_by_test_id("range-error")).to_contain_text("At most 92 days")

    ann = signed_in_page(browser, web_server, tenant_a, f"ann@{tenant_a.subdomain}.test")
    expect(ann.get_by_test_id("main-nav").get_by_role("link", name="Analytics")).to_have_count(0)
    assert ann.goto(web_server.url("/analytics/", tenant_a.subdomain)).status == 403
