"""The evaluation form editor in Chromium (issue 15): a supervisor builds a form on the page (sections,
a yes/no critical question, a scale, a choice with points), is told where a mistake is without losing
what was typed, saves; an edit makes version 2 while an evaluation made before keeps version 1; an
archived form is no longer offered for new evaluations; agents are refused."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.inbox.models import Interaction
from apps.quality.actions import do_start_evaluation
from apps.quality.models import EvaluationForm
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page


def test_a_form_built_on_the_page(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    sue = User.objects.create_user(email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor")
    ann = ensure_agent_profile(
        User.objects.create_user(email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    )
    chat = Interaction.objects.create(channel="chat", assigned_agent=ann, assignee=ann.user)
    connection.set_schema_to_public()

    page = signed_in_page(browser, web_server, tenant_a, f"sue@{tenant_a.subdomain}.test")
    page.get_by_test_id("main-nav").get_by_role("link", name="Quality").click()
    page.get_by_role("link", name="Evaluation forms").click()
    expect(page.get_by_test_id("forms")).to_contain_text("No forms yet")
    page.get_by_role("link", name="New form").click()
    editor = page.get_by_test_id("form-editor")
    editor.get_by_label("Name", exact=True).fill("Calls")
    editor.get_by_label("Section title", exact=True).fill("Opening")
    editor.get_by_label("Question 1", exact=True).fill("Verified the identity")
    editor.get_by_label("Critical (a no fails the evaluation)", exact=True).check()
    # Answered from analytics when an evaluation starts: the agent said a greeting within 30 s.
    editor.get_by_label("Answered automatically", exact=True).select_option(label="Yes if a phrase was said or written")
    editor.get_by_label("Within the first seconds (empty: any time)", exact=True).fill("30")
    editor.get_by_role("button", name="Add a question (Section 1)").click()
    # The new question's text field has the focus (keyboard users go on typing).
    page.keyboard.type("Explained clearly")
    editor.get_by_label("Answer", exact=True).nth(1).select_option("scale")
    editor.get_by_label("Weight", exact=True).nth(1).fill("3")
    editor.get_by_role("button", name="Add a section").click()
    page.keyboard.type("Resolution")
    editor.locator('[data-section="1"]').get_by_label("Question 1", exact=True).fill("Outcome")
    editor.locator('[data-section="1"]').get_by_label("Answer", exact=True).select_option("choice")
    editor.get_by_label("Option 1", exact=True).fill("Solved")
    # No phrase given yet: said beside the automatic rule, nothing typed lost.
    editor.get_by_role("button", name="Create the form").click()
    expect(page.locator('[data-field="sections[0].questions[0].auto.phrases"]')).to_have_text(
        "1 to 20 phrases of 1 to 100 characters."
    )
    editor = page.get_by_test_id("form-editor")
    expect(editor.get_by_label("Name", exact=True)).to_have_value("Calls")
    expect(editor.get_by_label("Question 1", exact=True).first).to_have_value("Verified the identity")
    expect(editor.get_by_label("Option 1", exact=True)).to_have_value("Solved")
    expect(editor.get_by_label("Within the first seconds (empty: any time)", exact=True)).to_have_value("30")
    editor.get_by_label("Phrases (comma-separated)", exact=True).fill("hello, welcome")
    # Option 2 left without a label: the server names it, the editor marks it.
    editor.get_by_role("button", name="Create the form").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("A label and points from 0 to 100.")
    expect(page.locator('[data-field="sections[1].questions[0].options[1]"]')).to_have_text(
        "A label and points from 0 to 100."
    )
    editor = page.get_by_test_id("form-editor")
    editor.get_by_label("Option 2", exact=True).fill("Not solved")
    editor.get_by_role("button", name="Create the form").click()
    expect(page.locator(".messages")).to_have_text("Form created: evaluations can use it now.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the form (version 1)")
    page.screenshot(path="test-artifacts/quality-form-editor.png", full_page=True)

    connection.set_schema(tenant_a.schema_name)
    form = EvaluationForm.objects.get(name="Calls")
    definition = form.current.definition  # type: ignore[union-attr]
    assert [s["title"] for s in definition["sections"]] == ["Opening", "Resolution"]
    first, second = definition["sections"][0]["questions"]
    assert (first["kind"], first["critical"], second["kind"], second["scale_max"], second["weight"]) == (
        "yes_no", True, "scale", 5, 3,
    )  # fmt: skip
    assert first["auto"] == {"kind": "phrase", "party": "agent", "phrases": ["hello", "welcome"], "within_seconds": 30}
    assert definition["sections"][1]["questions"][0]["options"] == [
        {"label": "Solved", "points": 100},
        {"label": "Not solved", "points": 0},
    ]
    before = do_start_evaluation(sue, interaction_id=chat.pk, form_id=form.pk)
    connection.set_schema_to_public()

    # An edit is the next version; the evaluation started before keeps its own.
    editor = page.get_by_test_id("form-editor")
    editor.get_by_role("button", name="Move down 1").first.click()
    expect(editor.get_by_label("Question 1", exact=True).first).to_have_value("Explained clearly")
    editor.get_by_role("button", name="Save as a new version").click()
    expect(page.locator(".messages")).to_have_text("Saved as version 2: evaluations already made keep theirs.")
    expect(page.get_by_test_id("versions").locator("li")).to_have_count(2)
    connection.set_schema(tenant_a.schema_name)
    form.refresh_from_db()
    assert form.current.number == 2  # type: ignore[union-attr]
    assert form.current.definition["sections"][0]["questions"][0]["text"] == "Explained clearly"  # type: ignore[union-attr]
    before.refresh_from_db()
    assert before.version.number == 1
    connection.set_schema_to_public()

    # Archived: not offered for a new evaluation; restored: offered again.
    page.get_by_role("link", name="Evaluation forms").click()
    page.get_by_test_id("forms").get_by_role("button", name="Archive").click()
    expect(page.locator(".messages")).to_have_text("Calls archived: no new evaluation uses it.")
    page.goto(web_server.url("/quality/", tenant_a.subdomain))
    expect(page.get_by_test_id("new-evaluation").locator("select option")).to_have_text(
        ["No forms yet: make one under Evaluation forms"]
    )
    page.get_by_role("link", name="Evaluation forms").click()
    page.get_by_test_id("forms").get_by_role("button", name="Restore").click()
    expect(page.locator(".messages")).to_have_text("Calls restored.")
    page.screenshot(path="test-artifacts/quality-forms.png", full_page=True)
    page.context.close()

    agent = signed_in_page(browser, web_server, tenant_a, f"ann@{tenant_a.subdomain}.test")
    response = agent.goto(web_server.url("/quality/forms/new/", tenant_a.subdomain))
    assert response is not None and response.status == 403
    agent.context.close()
