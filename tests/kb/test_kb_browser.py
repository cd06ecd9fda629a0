"""The knowledge base in Chromium (issue 18): an editor writes an article on /kb/ (a missing title is
said beside its field, the text kept), publishes it and its Chinese translation; a customer reading in
Chinese finds it in the tenant's help center with a two-character word, says it answered their
question; the editor's report counts the deflection and lists a search that found nothing; agents
are refused the editors' page."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page


def test_write_publish_find_and_vote(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    User.objects.create_user(email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    connection.set_schema_to_public()

    editor = signed_in_page(browser, web_server, tenant_a)
    editor.get_by_test_id("main-nav").get_by_role("link", name="Knowledge base").click()
    editor.get_by_role("link", name="New article").click()
    editor.get_by_label("Text (HTML: paragraphs, lists, links, images)").fill(
        "<p>Refunds reach your card in three days.</p>"
    )
    editor.get_by_role("button", name="Save").click()
    expect(editor.locator('[data-field="title"]')).to_have_text("1 to 200 characters.")
    expect(editor.get_by_label("Text (HTML: paragraphs, lists, links, images)")).to_have_value(
        "<p>Refunds reach your card in three days.</p>"
    )
    editor.get_by_label("Title").fill("How refunds work")
    editor.get_by_label("Status").select_option("published")
    editor.get_by_role("button", name="Save").click()
    expect(editor.locator(".messages")).to_have_text("Article saved (Published).")
    editor.get_by_role("link", name="Add a translation").click()
    expect(editor.get_by_label("Article language")).to_have_value("zh-hans")
    editor.get_by_label("Title").fill("如何申请退款")
    editor.get_by_label("Text (HTML: paragraphs, lists, links, images)").fill("<p>退款三天内原路退回。</p>")
    editor.get_by_label("Status").select_option("published")
    editor.get_by_role("button", name="Save").click()
    expect(editor.locator(".messages")).to_have_text("Article saved (Published).")

    customer = browser.new_context(locale="zh-CN").new_page()
    customer.goto(web_server.url("/help/", subdomain=tenant_a.subdomain))
    expect(customer.get_by_role("link", name="如何申请退款")).to_be_visible()
    customer.locator("#help-q").fill("保修")
    customer.locator("#help-q").press("Enter")
    expect(customer.get_by_test_id("help-results")).to_contain_text("0")
    customer.locator("#help-q").fill("退款")
    customer.locator("#help-q").press("Enter")
    results = customer.get_by_test_id("help-results")
    results.get_by_role("link", name="如何申请退款").click()
    expect(customer.get_by_test_id("article-body")).to_have_text("退款三天内原路退回。")
    expect(customer.get_by_role("link", name="How refunds work")).to_be_visible()  # the translation
    customer.locator('button[name="helpful"][value="yes"]').click()
    expect(customer.locator(".messages")).to_be_visible()
    customer.context.close()

    editor.get_by_test_id("main-nav").get_by_role("link", name="Knowledge base").click()
    expect(editor.get_by_test_id("deflections")).to_have_text("1")
    expect(editor.get_by_test_id("no-result")).to_contain_text("保修")
    expect(editor.get_by_test_id("kb-articles")).to_contain_text("如何申请退款")
    editor.context.close()

    agent = signed_in_page(browser, web_server, tenant_a, email=f"ann@{tenant_a.subdomain}.test")
    response = agent.goto(web_server.url("/kb/", subdomain=tenant_a.subdomain))
    assert response is not None and response.status == 403
    agent.context.close()
