"""The evaluation page in Chromium (issue 15): a supervisor evaluates a chat beside its transcript,
saves a draft with a comment, is told which question is missing, submits (the score on screen); the
agent finds it under Quality, disputes it; another supervisor upholds it."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.inbox.actions import do_post_message
from apps.inbox.models import Interaction
from apps.quality.actions import do_create_form
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page
from tests.quality.test_evaluations import FORM


def test_a_chat_evaluated_disputed_and_reviewed(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    people = {}
    for name, role in (("sue", "supervisor"), ("rex", "supervisor"), ("ann", "agent")):
        user = User.objects.create_user(
            email=f"{name}@{tenant_a.subdomain}.test", password=PASSWORD, role=role, full_name=name.title()
        )
        people[name] = ensure_agent_profile(user)
    chat = Interaction.objects.create(channel="chat", assigned_agent=people["ann"], assignee=people["ann"].user)
    do_post_message(chat, kind="customer", body="My card was charged twice")
    do_post_message(chat, kind="agent", body="Hi! Let me check that for you.", author=people["ann"].user)
    do_create_form(people["sue"].user, "Chats", FORM)
    connection.set_schema_to_public()

    sue = signed_in_page(browser, web_server, tenant_a, f"sue@{tenant_a.subdomain}.test")
    sue.get_by_test_id("main-nav").get_by_role("link", name="Quality").click()
    # A sampling rule, added and turned off on the page; a bad value is said.
    rules = sue.get_by_test_id("sampling-rules")
    rules.get_by_label("Name").fill("Unhappy customers")
    rules.get_by_label("Picks").select_option("low_csat")
    rules.get_by_label("Value (% / rating / times)").fill("9")
    rules.get_by_role("button", name="Add rule").click()
    expect(sue.get_by_test_id("rule-error")).to_contain_text("csat_at_most: a number from 1 to 5.")
    sue.get_by_test_id("sampling-rules").get_by_label("Name").fill("Unhappy customers")
    sue.get_by_test_id("sampling-rules").get_by_label("Picks").select_option("low_csat")
    sue.get_by_test_id("sampling-rules").get_by_label("Value (% / rating / times)").fill("2")
    sue.get_by_test_id("sampling-rules").get_by_role("button", name="Add rule").click()
    expect(sue.locator(".messages")).to_contain_text("Rule added")
    rule = sue.get_by_test_id("sampling-rules").locator("li", has_text="Unhappy customers")
    rule.get_by_role("button", name="Turn off").click()
    expect(sue.locator(".messages")).to_have_text("Rule off.")
    expect(sue.get_by_test_id("sampling-rules").locator("li", has_text="Unhappy customers").get_by_role(
        "button", name="Turn on")).to_be_visible()  # fmt: skip
    start = sue.get_by_test_id("new-evaluation")
    start.get_by_label("Interaction number").fill(str(chat.pk))
    start.get_by_role("button", name="Start").click()
    expect(sue.get_by_test_id("transcript")).to_contain_text("My card was charged twice")
    form = sue.get_by_test_id("evaluation-form")
    form.locator('[data-question="greeted"]').get_by_label("Yes").check()
    form.locator('[data-question="verified"]').get_by_label("Yes").check()
    form.locator('[data-question="clarity"] select').select_option("4")
    sue.get_by_label("Add a comment").fill("Warm greeting")
    form.get_by_role("button", name="Save draft").click()
    expect(sue.locator(".messages")).to_have_text("Draft saved.")
    expect(sue.get_by_test_id("comments")).to_contain_text("Warm greeting")
    # Submitting with a question unanswered: said beside it, nothing lost.
    sue.get_by_test_id("evaluation-form").get_by_role("button", name="Submit").click()
    expect(sue.get_by_test_id("evaluation-error")).to_have_text(
        "Answer every question before submitting (N/A where it is allowed)."
    )
    expect(sue.locator('[data-field="outcome"]')).to_have_text("Not answered.")
    expect(sue.locator('[data-question="clarity"] select')).to_have_value("4")
    sue.locator('[data-question="outcome"] select').select_option("1")  # "Partly"
    sue.get_by_test_id("evaluation-form").get_by_role("button", name="Submit").click()
    expect(sue.get_by_test_id("evaluation-score").locator(".kpi-value")).to_have_text("72.5")
    expect(sue.get_by_test_id("evaluation-state")).to_have_text("Submitted")
    sue.screenshot(path="test-artifacts/quality-evaluation.png", full_page=True)
    sue.context.close()

    # Ann reads it under Quality and disputes it.
    ann = signed_in_page(browser, web_server, tenant_a, f"ann@{tenant_a.subdomain}.test")
    ann.get_by_test_id("main-nav").get_by_role("link", name="Quality").click()
    expect(ann.locator("h1")).to_have_text("My evaluations")
    ann.get_by_test_id("evaluations").get_by_role("link").first.click()
    ann.get_by_label("Or dispute it: why?").fill("The customer said it was solved.")
    ann.get_by_role("button", name="Dispute", exact=True).click()
    expect(ann.get_by_test_id("evaluation-state")).to_have_text("Disputed")
    expect(ann.get_by_test_id("agent-answer")).to_have_count(0)
    ann.context.close()

    # Rex (not the evaluator) decides.
    rex = signed_in_page(browser, web_server, tenant_a, f"rex@{tenant_a.subdomain}.test")
    rex.goto(web_server.url("/quality/", subdomain=tenant_a.subdomain))
    rex.get_by_test_id("evaluations").get_by_role("link").first.click()
    expect(rex.get_by_test_id("dispute-reason")).to_have_text("The customer said it was solved.")
    rex.get_by_label("Decision (final)").fill("Listened again: partly solved.")
    rex.get_by_role("button", name="The score stands").click()
    expect(rex.get_by_test_id("evaluation-state")).to_have_text("Dispute resolved")
    expect(rex.get_by_test_id("review-note")).to_have_text("Listened again: partly solved.")
    rex.context.close()
