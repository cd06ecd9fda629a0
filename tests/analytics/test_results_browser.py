"""Analytics where people read conversations (issue 15), in Chromium: the agent opening their resolved
chat in the desktop reads the customer's sentiment, how it ended and the topics; the contact's journey
page shows the same on the entry, beside the desktop's journey panel."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.analytics.actions import do_save_topic, do_store_analysis
from apps.analytics.analysis import analyse
from apps.inbox.models import Contact, Interaction
from tests.conftest import WebServer, signed_in_page
from tests.inbox.conftest import desktop, make_center

from .conftest import chat


def test_analysis_on_the_conversation_and_the_journey(browser: Any, web_server: WebServer) -> None:
    cc = make_center("http://127.0.0.1:9", agents=1)
    connection.set_schema(cc.info.schema_name)
    agent = User.objects.get(pk=cc.agents[0].user_id)
    do_save_topic(cc.info.owner, name="Refunds", phrases=["refund"])
    contact = Contact.objects.create(name="Wu Lei")
    done = chat(
        [("customer", "This is terrible, I am very angry. I want a refund."), ("agent", "Sorry! Refunded."),
         ("customer", "Still awful, the worst service ever.")],
        contact=contact, status="resolved", queue=cc.queue, assignee=agent, assigned_agent=cc.agents[0],
    )  # fmt: skip
    do_store_analysis(done, analyse(done))
    Interaction.objects.filter(pk=done.pk).update(resolved_at=done.created_at)
    connection.set_schema_to_public()

    page = desktop(browser, web_server, cc, 1)
    page.select_option("#f-status", "resolved")
    page.locator(f'#inbox li[data-id="{done.pk}"]').click()
    analysis = page.locator("#analysis")
    expect(analysis).to_contain_text("customer negative")
    expect(analysis).to_contain_text("ended negative")
    expect(analysis).to_contain_text("Refunds")
    expect(page.locator("#journey-entries")).to_contain_text("customer negative")
    page.context.close()

    owner = signed_in_page(browser, web_server, cc.info)
    owner.goto(web_server.url(f"/contacts/{contact.pk}/journey/", cc.info.subdomain))
    entry = owner.get_by_test_id("journey-entries").locator(f'li[data-key="i{done.pk:020d}"]')
    expect(entry.get_by_test_id("entry-sentiment")).to_have_text("customer negative, ended negative")
    expect(entry.locator(".label")).to_have_text(["Refunds"])
    owner.context.close()
