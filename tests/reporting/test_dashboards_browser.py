# ruff: noqa: F811  (the SMTP fixture is imported from tests.accounts.conftest)
"""Shared dashboards (issue 14), in Chromium: a supervisor saves a dashboard of reports, shares a
read-only link that someone without an account opens (the figures, nothing else of the product),
revokes it (the link then says so); a dashboard mailed on a schedule arrives at a real SMTP server,
sent by a real Celery worker, once; a mail server that refuses is noted and tried again later."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import AuditEntry, User
from apps.agents.actions import ensure_agent_profile
from apps.inbox.models import Interaction, Segment
from apps.reporting.actions import do_roll_up
from apps.reporting.dashboards import do_send_due_dashboards, link_path, next_run
from apps.reporting.models import Dashboard, DashboardLink, DashboardSchedule
from apps.routing.models import Queue
from tests.accounts.conftest import SmtpServer, smtp_server, text_body  # noqa: F401  (the fixture)
from tests.conftest import PASSWORD, CeleryWorker, TenantInfo, WebServer, signed_in_page
from tests.processes import wait_until


def some_work(tenant: TenantInfo) -> Queue:
    """Two chats answered today in Support (one within 10 s) and one abandoned, rolled up."""
    connection.set_schema(tenant.schema_name)
    queue = Queue.objects.get(name="Support")
    agent = ensure_agent_profile(
        User.objects.create_user(email=f"ann@{tenant.subdomain}.test", password=PASSWORD, role="agent")
    )
    now = timezone.now() - timedelta(minutes=2)
    for k, (outcome, wait) in enumerate((("answered", 8), ("answered", 40), ("abandoned", 15))):
        t = now + timedelta(seconds=k)
        i = Interaction.objects.create(channel="chat", created_at=t, queue=queue)
        data = {"agent": agent.pk} if outcome == "answered" else {}
        Segment.objects.create(
            interaction=i,
            kind="queue",
            started_at=t,
            ended_at=t + timedelta(seconds=wait),
            outcome=outcome,
            channel="chat",
            queue=queue,
            data=data,
        )
    do_roll_up()
    connection.set_schema_to_public()
    return queue


def test_a_dashboard_saved_shared_and_revoked(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo, tenant_b: TenantInfo
) -> None:
    queue = some_work(tenant_a)
    page = signed_in_page(browser, web_server, tenant_a)
    page.get_by_test_id("main-nav").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Dashboards").click()
    # A name is needed: said beside the field.
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_test_id("new-dashboard").get_by_role("alert")).to_have_text(
        "Name the dashboard (up to 120 characters)."
    )
    page.get_by_label("New dashboard").fill("Support today")
    page.get_by_label("New dashboard").press("Enter")
    expect(page.get_by_test_id("dashboard-name")).to_have_text("Support today")
    expect(page.locator(".messages")).to_contain_text("Dashboard created.")

    # It starts with last week's report by queue; add today's, of Support, and remove the first.
    add = page.get_by_test_id("add-report")
    add.get_by_label("Range").select_option("today")
    add.get_by_label("Queue").select_option(str(queue.pk))
    add.get_by_role("button", name="Add").click()
    expect(page.locator(".messages")).to_have_text("Report added.")
    reports = page.get_by_test_id("dashboard-report")
    expect(reports).to_have_count(2)
    page.get_by_role("button", name="Remove the report By queue · Last 7 days · Whole range").click()
    expect(reports).to_have_count(1)
    row = reports.first.locator("tbody tr")
    expect(row.locator("th")).to_have_text("Support")
    expect(row.locator('[data-metric="offered"]')).to_have_text("3")
    expect(row.locator('[data-metric="answered"]')).to_have_text("2")
    expect(row.locator('[data-metric="abandoned"]')).to_have_text("1")

    # A read-only link, for a week.
    links = page.get_by_test_id("links")
    links.get_by_label("Valid for").select_option("7")
    links.get_by_role("button", name="Create a link").click()
    expect(page.locator(".messages")).to_contain_text("Link created.")
    url = page.get_by_test_id("link").locator("input.link-url").input_value()
    assert url.startswith(web_server.url("/shared/dashboards/", subdomain=tenant_a.subdomain))

    # Someone without an account reads it: the figures, no navigation, not indexed.
    guest = browser.new_context(locale="en-US").new_page()
    guest.set_default_timeout(15000)
    response = guest.goto(url)
    assert response is not None and response.status == 200
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    expect(guest.get_by_test_id("dashboard-name")).to_have_text("Support today")
    expect(guest.get_by_test_id("dashboard-report").locator('tbody [data-metric="offered"]')).to_have_text("3")
    expect(guest.get_by_test_id("main-nav")).to_have_count(0)
    expect(guest.get_by_role("link")).to_have_count(0)  # nowhere else to go from here
    # The same link on another business's host shows nothing (it is signed for this one).
    token = url.rstrip("/").rsplit("/", 1)[1]
    elsewhere = guest.goto(web_server.url(f"/shared/dashboards/{token}/", subdomain=tenant_b.subdomain))
    assert elsewhere is not None and elsewhere.status == 404
    expect(guest.get_by_test_id("error-page")).to_contain_text("This link is not valid.")

    # Revoked: the link says so at once.
    page.get_by_test_id("link").get_by_role("button", name="Revoke").click()
    expect(page.locator(".messages")).to_contain_text("Link revoked")
    expect(page.get_by_test_id("link")).to_have_attribute("data-state", "revoked")
    gone = guest.goto(url)
    assert gone is not None and gone.status == 410
    expect(guest.get_by_test_id("error-page")).to_contain_text("This link was revoked.")
    guest.context.close()

    connection.set_schema(tenant_a.schema_name)
    verbs = set(AuditEntry.objects.filter(verb__startswith="reporting.dashboard").values_list("verb", flat=True))
    assert verbs == {
        "reporting.dashboard_created",
        "reporting.dashboard_updated",
        "reporting.dashboard_link_created",
        "reporting.dashboard_link_revoked",
    }
    connection.set_schema_to_public()
    page.screenshot(path="test-artifacts/reporting-dashboard.png")

    # Agents have no dashboards.
    agent = signed_in_page(browser, web_server, tenant_a, f"ann@{tenant_a.subdomain}.test")
    answer = agent.goto(web_server.url("/reports/dashboards/", subdomain=tenant_a.subdomain))
    assert answer is not None and answer.status == 403
    agent.context.close()
    page.context.close()


def test_the_dashboard_api_checks_what_it_is_given(tenant_a: TenantInfo) -> None:
    some_work(tenant_a)
    client = Client(HTTP_HOST=tenant_a.host)
    assert client.post("/login/", {"username": tenant_a.email, "password": PASSWORD}).status_code == 302

    def post(path: str, body: Any) -> Any:
        return client.post(path, json.dumps(body), content_type="application/json")

    bad = post("/api/v1/reports/dashboards", {"name": "x", "reports": [{"range": "forever", "slice": "planets"}]})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"range", "slice"}
    bad = post("/api/v1/reports/dashboards", {"name": "", "reports": []})
    assert bad.status_code == 400 and "name" in bad.json()["error"]["fields"]
    bad = post("/api/v1/reports/dashboards", {"name": "x", "reports": [{"channel": "pigeon"}]})
    assert bad.status_code == 400 and "channel" in bad.json()["error"]["fields"]
    assert post("/api/v1/reports/dashboards", ["not", "an", "object"]).status_code == 400
    made = post(
        "/api/v1/reports/dashboards",
        {"name": "Ops", "reports": [{"slice": "channels", "range": "today", "interval": "total"}]},
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    figures = client.get(f"/api/v1/reports/dashboards/{pk}").json()["figures"]
    assert figures[0]["rows"][0]["name"] == "Chat" and figures[0]["rows"][0]["offered"] == "3"

    assert post(f"/api/v1/reports/dashboards/{pk}/links", {"days": 365}).status_code == 400
    link = post(f"/api/v1/reports/dashboards/{pk}/links", {"days": 1}).json()
    assert Client().get(link["url"], HTTP_HOST=tenant_a.host).status_code == 200
    assert client.delete(f"/api/v1/reports/dashboards/{pk}/links/{link['id']}").json()["revoked_at"]
    assert Client().get(link["url"], HTTP_HOST=tenant_a.host).status_code == 410
    # An expired link: gone too.
    connection.set_schema(tenant_a.schema_name)
    expired = DashboardLink.objects.create(dashboard_id=pk, expires_at=timezone.now() - timedelta(seconds=1))
    path = link_path(expired)
    connection.set_schema_to_public()
    answer = Client().get(path, HTTP_HOST=tenant_a.host)
    assert answer.status_code == 410 and b"This link has expired." in answer.content
    assert Client().get("/shared/dashboards/forged:token/", HTTP_HOST=tenant_a.host).status_code == 404
    # A token signed for this tenant with the right id but not the link's secret is no link.
    from django.core import signing

    connection.set_schema(tenant_a.schema_name)
    guessed = signing.dumps(
        [expired.pk, "guess"], salt=f"reporting.dashboard-link:{tenant_a.schema_name}", compress=True
    )
    connection.set_schema_to_public()
    assert Client().get(f"/shared/dashboards/{guessed}/", HTTP_HOST=tenant_a.host).status_code == 410

    bad = post(f"/api/v1/reports/dashboards/{pk}/schedules", {"frequency": "hourly", "hour": 25, "recipients": []})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"frequency", "hour"}
    bad = post(f"/api/v1/reports/dashboards/{pk}/schedules", {"frequency": "daily", "recipients": ["not-mail"]})
    assert bad.status_code == 400 and "not-mail" in bad.json()["error"]["message"]
    # Only the business's own people get its numbers by mail.
    outside = post(
        f"/api/v1/reports/dashboards/{pk}/schedules", {"frequency": "daily", "recipients": ["x@spam.example"]}
    )
    assert outside.status_code == 400 and outside.json()["error"]["message"] == (
        "Dashboards are mailed to people of your team only: x@spam.example is not one."
    )
    lead = f"ann@{tenant_a.subdomain}.test"  # a user of the tenant (some_work made her)
    for _n in range(5):
        made = post(
            f"/api/v1/reports/dashboards/{pk}/schedules",
            {"frequency": "weekly", "weekday": 0, "hour": 7, "recipients": [lead]},
        )
        assert made.status_code == 201
    sixth = post(f"/api/v1/reports/dashboards/{pk}/schedules", {"frequency": "daily", "recipients": [lead]})
    assert sixth.status_code == 400 and "frequency" in sixth.json()["error"]["fields"]
    assert client.delete(f"/api/v1/reports/dashboards/{pk}").status_code == 204
    assert client.get(f"/api/v1/reports/dashboards/{pk}").status_code == 404
    agent = Client(HTTP_HOST=tenant_a.host)
    assert (
        agent.post("/login/", {"username": f"ann@{tenant_a.subdomain}.test", "password": PASSWORD}).status_code == 302
    )
    assert agent.get("/api/v1/reports/dashboards").status_code == 403


def test_next_run_is_the_local_hour() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    after = datetime(2026, 3, 28, 8, 0, tzinfo=berlin)  # a Saturday; clocks go forward that night
    assert next_run("daily", 0, 7, "Europe/Berlin", after) == datetime(2026, 3, 29, 7, 0, tzinfo=berlin)
    assert next_run("weekly", 0, 7, "Europe/Berlin", after) == datetime(2026, 3, 30, 7, 0, tzinfo=berlin)
    assert next_run("daily", 0, 9, "Europe/Berlin", after) == datetime(2026, 3, 28, 9, 0, tzinfo=berlin)


@pytest.fixture
def mail_worker(django_db_setup: None, smtp_server: SmtpServer) -> Iterator[str]:
    """A worker of a queue of its own whose mail goes to the test's SMTP server."""
    queue = "dashboards-mail"
    worker = CeleryWorker(
        queue,
        env={
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_server.port),
        },
    )
    worker.start()
    yield queue
    worker.stop()


def test_a_scheduled_dashboard_is_mailed_once(tenant_a: TenantInfo, smtp_server: SmtpServer, mail_worker: str) -> None:
    from ccaas.celery import app

    assert settings.CELERY_BEAT_SCHEDULE["reporting-send-dashboards"]["task"] == "reporting.send_dashboards"
    some_work(tenant_a)
    client = Client(HTTP_HOST=tenant_a.host)
    assert client.post("/login/", {"username": tenant_a.email, "password": PASSWORD}).status_code == 302
    pk = client.post(
        "/api/v1/reports/dashboards",
        json.dumps({"name": "Morning numbers", "reports": [{"slice": "queues", "range": "today"}]}),
        content_type="application/json",
    ).json()["id"]
    address = f"lead@{tenant_a.subdomain}.test"
    connection.set_schema(tenant_a.schema_name)
    User.objects.create_user(email=address, password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()
    schedule = client.post(
        f"/api/v1/reports/dashboards/{pk}/schedules",
        json.dumps({"frequency": "daily", "hour": 7, "recipients": [address]}),
        content_type="application/json",
    ).json()
    connection.set_schema(tenant_a.schema_name)
    DashboardSchedule.objects.filter(pk=schedule["id"]).update(next_run_at=timezone.now() - timedelta(seconds=1))
    connection.set_schema_to_public()

    app.send_task("reporting.send_dashboards", queue=mail_worker)
    mail = smtp_server.wait_for(address, timeout=60)
    assert mail["Subject"].startswith("Morning numbers: your dashboard of ")
    body = text_body(mail)
    assert "Support: Offered 3; Answered 2; Abandoned 1;" in body
    assert f"/reports/dashboards/{pk}/" in body
    connection.set_schema(tenant_a.schema_name)
    wait_until(lambda: DashboardSchedule.objects.get(pk=schedule["id"]).last_sent_at is not None, 10, "sent noted")
    sent = DashboardSchedule.objects.get(pk=schedule["id"])
    assert sent.next_run_at > timezone.now() and sent.last_error == ""
    connection.set_schema_to_public()
    # Beat again: not due, nothing sent twice.
    app.send_task("reporting.send_dashboards", queue=mail_worker).get(timeout=60)
    assert len(smtp_server.to(address)) == 1


def test_a_mail_server_that_refuses_is_noted_and_tried_again(tenant_a: TenantInfo) -> None:
    from tests.processes import free_port

    connection.set_schema(tenant_a.schema_name)
    owner = User.objects.get(email=tenant_a.email)
    dashboard = Dashboard.objects.create(
        name="Ops",
        reports=[{"slice": "queues", "range": "today", "interval": "total", "queue": [], "team": [], "channel": []}],
        created_by=owner,
    )
    due = timezone.now() - timedelta(seconds=1)
    schedule = DashboardSchedule.objects.create(
        dashboard=dashboard, frequency="daily", hour=7, recipients=["lead@example.com"], next_run_at=due
    )
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port()
    ):
        assert do_send_due_dashboards("http://x") == 0
    schedule.refresh_from_db()
    assert schedule.last_sent_at is None and "refused" in schedule.last_error.lower()
    assert timedelta(minutes=14) < schedule.next_run_at - timezone.now() <= timedelta(minutes=15)
