"""The reports pages in Chromium (issue 14): a supervisor picks a range and a slice and reads the
totals, a chart drawn over time, the table, and the change from the previous period; downloads the
same rows; reads what each number means; an admin sets the time zone and the service-level formula;
in Simplified Chinese too. docs/metrics.md is the dictionary the code has."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.inbox.models import Interaction, Segment
from apps.reporting.actions import do_roll_up
from apps.reporting.metrics import markdown
from apps.reporting.models import ReportingSettings
from apps.routing.models import Queue
from tests.conftest import TenantInfo, WebServer
from tests.console.test_widget_settings_browser import signed_in

ROOT = Path(__file__).resolve().parents[2]


def history(tenant: TenantInfo) -> None:
    """Today: 4 chats offered in Support (3 answered after 10 s, 1 abandoned after 40 s); a week ago,
    2 offered and answered."""
    connection.set_schema(tenant.schema_name)
    queue = Queue.objects.get(name="Support")
    user = User.objects.create_user(email=f"al@{tenant.subdomain}.test", password="x", role="agent", full_name="Al")
    agent = ensure_agent_profile(user).pk
    now = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=20)

    def chat(t: Any, answered: bool) -> None:
        i = Interaction.objects.create(channel="chat", created_at=t, queue=queue)
        wait = 10 if answered else 40
        Segment.objects.create(
            interaction=i,
            kind="queue",
            started_at=t,
            ended_at=t + timedelta(seconds=wait),
            outcome="answered" if answered else "abandoned",
            channel="chat",
            queue=queue,
            data={"agent": agent} if answered else {},
        )
        if answered:
            Segment.objects.create(
                interaction=i,
                kind="handling",
                started_at=t + timedelta(seconds=wait),
                ended_at=t + timedelta(seconds=wait + 200),
                outcome="completed",
                channel="chat",
                queue=queue,
                agent_id=agent,
                data={"talk_seconds": 200, "hold_seconds": 0},
            )

    for k in range(3):
        chat(now + timedelta(minutes=k), True)
    chat(now + timedelta(minutes=5), False)
    for k in range(2):
        chat(now - timedelta(days=7) + timedelta(minutes=k), True)
    do_roll_up()
    connection.set_schema_to_public()


def test_a_supervisor_reads_the_numbers(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    history(tenant_a)
    page = signed_in(browser, web_server, tenant_a)
    page.get_by_test_id("main-nav").get_by_role("link", name="Reports").click()
    expect(page.locator("h1")).to_have_text("Reports")
    today = timezone.now().date()
    page.get_by_label("From", exact=True).fill((today - timedelta(days=6)).isoformat())
    page.get_by_label("To", exact=True).fill(today.isoformat())
    page.get_by_label("Compare with the previous period").check()
    page.get_by_role("button", name="Show").click()
    kpis = page.get_by_test_id("kpis")
    expect(kpis.locator('[data-metric="offered"] .kpi-value')).to_have_text("4")
    expect(kpis.locator('[data-metric="answered"] .kpi-value')).to_have_text("3")
    # Service level: 3 within 20 s / (3 answered + 1 abandoned - 0 short) = 75 %.
    expect(kpis.locator('[data-metric="service_level"] .kpi-value')).to_have_text("75.0%")
    expect(page.get_by_test_id("change-offered")).to_contain_text("▲ 2.0")
    expect(page.get_by_test_id("change-service_level")).to_have_class("small worse")
    expect(page.get_by_test_id("report-chart").locator("canvas")).to_have_count(1)  # uPlot drew it
    expect(page.get_by_test_id("report-chart")).to_contain_text("Offered, previous period")
    row = page.get_by_test_id("report-table").locator("tbody tr").first
    expect(row.locator("th")).to_have_text("Support")
    expect(row.locator('[data-metric="abandon_rate"]')).to_have_text("25.0%")
    expect(row.locator('[data-metric="aht_seconds"]')).to_have_text("200.0 s")
    # Drill-down: the number opens the interactions behind it.
    row.locator('[data-metric="abandoned"] a').click()
    expect(page.locator("h1")).to_have_text("Abandoned")
    expect(page.get_by_test_id("drill").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("drill").locator("tbody tr td").nth(4)).to_have_text("40.0")
    page.go_back()

    # By agent: only what an agent took part in.
    page.get_by_label("By").select_option("agents")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("report-table").locator("tbody th")).to_have_text(["Al"])
    with page.expect_download() as download:
        page.get_by_test_id("download-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("period,agent_id,agent_name,offered")
    assert ",Al,3,3," in text.splitlines()[1]

    # A bad range is said, and the page still shows today.
    page.goto(web_server.url("/reports/?from=2026-02-30", subdomain=tenant_a.subdomain))
    expect(page.get_by_test_id("report-error")).to_contain_text("from")
    page.screenshot(path="test-artifacts/reports.png", full_page=True)

    # What each number means; the owner sets the zone and the formula.
    page.get_by_role("link", name="What each number means").click()
    expect(page.locator("h1")).to_have_text("Metrics dictionary")
    expect(page.locator("#m-service_level td").last).to_contain_text("answered + abandoned - short abandoned")
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save").click()
    expect(page.locator('[data-field="time_zone"]')).to_contain_text("IANA time zone")
    page.get_by_label("Time zone").fill("Asia/Shanghai")
    page.get_by_label("Service level formula").select_option("answered")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("saved")).to_have_text("Saved.")
    connection.set_schema(tenant_a.schema_name)
    current = ReportingSettings.current()
    assert (current.time_zone, current.service_level_formula) == ("Asia/Shanghai", "answered")
    connection.set_schema_to_public()
    page.goto(web_server.url("/reports/", subdomain=tenant_a.subdomain))
    expect(page.get_by_test_id("report-filters")).to_contain_text("Times in Asia/Shanghai.")
    page.context.close()


def test_in_simplified_chinese(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    history(tenant_a)
    page = signed_in(browser, web_server, tenant_a, locale="zh-CN")
    page.goto(web_server.url("/reports/", subdomain=tenant_a.subdomain))
    expect(page.locator("h1")).to_have_text("报表")
    expect(page.get_by_test_id("kpis").locator('[data-metric="offered"] .muted')).to_have_text("进线量")
    page.goto(web_server.url("/reports/metrics/", subdomain=tenant_a.subdomain))
    expect(page.locator("#m-abandoned th")).to_have_text("放弃量")
    expect(page.get_by_test_id("schedule-metrics").locator("#m-adherence th")).to_have_text("遵从度")
    page.context.close()


def test_the_docs_page_is_the_dictionary() -> None:
    assert (ROOT / "docs/metrics.md").read_text(encoding="utf-8") == markdown()
