# ruff: noqa: F811  (the shop fixture is imported from tests.inbox.conftest)
"""Help articles where customers and agents are (issue 18), in Chromium against a real daphne.

The widget offers a search of the business's published articles before a chat: the customer reads
one in the widget and says it answered the question (counted as answered without an agent), or says
no and lands in the message box with the question written in; the search is gone once a chat is
open, and a business with no published article shows none. The agent desktop suggests articles from
the customer's last messages and sends one's link in one click; only who works on the conversation
may ask for suggestions; a draft is never served to the public."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.agents.actions import do_set_agent_state
from apps.agents.models import AgentState
from apps.inbox.models import Contact, Message
from apps.kb.actions import do_save_article
from apps.kb.models import Article, SearchLog
from tests.conftest import PASSWORD, WebServer, wait_until
from tests.desktop.test_details_browser import chat, take
from tests.inbox.conftest import ContactCenter, Shop, desktop, make_center, shop  # noqa: F401  (the fixture)
from tests.widget.test_frame_browser import open_widget

REFUND_BODY = (
    "<p>Refunds reach your card within <b>three days</b>.</p><script>alert(1)</script>"
    '<p><a href="https://example.com/terms">Terms</a></p>'
)


def publish(cc: ContactCenter, title: str, body: str, status: str = "published") -> Article:
    connection.set_schema(cc.info.schema_name)
    owner = User.objects.get(email=cc.info.email)
    article = do_save_article(owner, {"title": title, "body": body, "locale": "en", "status": status})
    connection.set_schema_to_public()
    return article


def test_the_widget_answers_before_a_chat(browser: Any, web_server: WebServer, shop: Shop) -> None:
    cc = make_center(shop.origin)
    refunds = publish(cc, "How refunds work", REFUND_BODY)
    publish(cc, "Shipping times", "<p>Parcels ship within a day.</p>")
    connection.set_schema(cc.info.schema_name)
    do_set_agent_state(cc.agents[0], AgentState.AVAILABLE)
    connection.set_schema_to_public()

    page, widget = open_widget(browser, web_server, shop, cc)
    help_panel = widget.locator("#help")
    expect(help_panel).to_be_visible()
    widget.get_by_label("Search our help articles").fill("refund")
    widget.get_by_label("Search our help articles").press("Enter")
    expect(widget.locator("#help-count")).to_have_text("1 article found.")
    widget.locator("#help-results").get_by_role("button", name="How refunds work").click()
    expect(widget.locator("#help-title")).to_have_text("How refunds work")
    expect(widget.locator("#help-body p").first).to_have_text("Refunds reach your card within three days.")
    assert widget.locator("#help-body script").count() == 0
    # A link in the article opens beside the page, never in place of the chat.
    expect(widget.locator("#help-body a")).to_have_attribute("target", "_blank")
    expect(widget.locator("#help-body a")).to_have_attribute("rel", "noopener noreferrer")
    widget.get_by_role("button", name="Yes").click()
    expect(widget.locator("#help-thanks")).to_have_text("Glad it helped! You can still write to us below.")
    expect(widget.get_by_role("button", name="Yes")).to_be_hidden()

    connection.set_schema(cc.info.schema_name)
    wait_until(lambda: Article.objects.get(pk=refunds.pk).helpful_yes == 1, 10, "the vote counted")
    answered = SearchLog.objects.get(source="widget", query="refund")
    assert answered.answered_by_id == refunds.pk and answered.results == 1
    connection.set_schema_to_public()

    # Not answered: back to the results, another search, "No" leads to the chat with the question in.
    widget.get_by_role("button", name="Back to the results").click()
    widget.get_by_label("Search our help articles").fill("warranty repair")
    widget.get_by_label("Search our help articles").press("Enter")
    expect(widget.locator("#help-count")).to_have_text("No article found. Write to us below: we are here to help.")
    widget.get_by_label("Search our help articles").fill("shipping")
    widget.get_by_label("Search our help articles").press("Enter")
    widget.locator("#help-results").get_by_role("button", name="Shipping times").click()
    widget.get_by_role("button", name="No, chat with us").click()
    expect(help_panel).to_be_hidden()
    expect(widget.locator("#input")).to_be_focused()
    expect(widget.locator("#input")).to_have_value("shipping")
    widget.locator("#input").press("Enter")
    expect(widget.locator(".msg.customer").first).to_have_text("shipping")
    connection.set_schema(cc.info.schema_name)
    assert Article.objects.get(title="Shipping times").helpful_no == 1
    connection.set_schema_to_public()

    # Back later with the chat open: no search in the way.
    page.reload()
    page.locator("[data-ccaas-widget] button").click()
    expect(widget.locator(".msg.customer").first).to_have_text("shipping")
    expect(help_panel).to_be_hidden()
    page.context.close()


def test_no_published_article_no_search(browser: Any, web_server: WebServer, shop: Shop) -> None:
    cc = make_center(shop.origin)
    publish(cc, "Internal draft", "<p>Not yet.</p>", status="draft")
    page, widget = open_widget(browser, web_server, shop, cc)
    expect(widget.locator("#conn")).to_have_attribute("data-state", "live")
    expect(widget.locator("#help")).to_be_hidden()
    page.context.close()


def test_the_desktop_suggests_and_sends_a_link(browser: Any, web_server: WebServer, shop: Shop) -> None:
    cc = make_center(shop.origin)
    refunds = publish(cc, "How refunds work", "<p>Refunds reach your card within three days.</p>")
    publish(cc, "Shipping times", "<p>Parcels ship within a day.</p>")
    connection.set_schema(cc.info.schema_name)
    alex = cc.agents[0]
    do_set_agent_state(alex, AgentState.AVAILABLE)
    asking = take(chat(cc, Contact.objects.create(name="Wu Lei"), "Can I get a refund for my order?"), alex)
    connection.set_schema_to_public()

    agent = desktop(browser, web_server, cc, 1)
    agent.locator(f'#inbox li[data-id="{asking.pk}"]').click()
    suggestions = agent.locator("#kb-suggest")
    expect(suggestions).to_be_visible()
    expect(agent.locator("#kb-suggest-note")).to_have_text("Suggested from the customer\u2019s last messages")
    first = agent.locator("#kb-suggest-list li").first
    expect(first.get_by_role("link")).to_have_text("How refunds work")
    link = f"http://{cc.info.subdomain}.localhost:{web_server.port}/help/{refunds.pk}/"
    expect(first.get_by_role("link")).to_have_attribute("href", link)

    # The agent's own search, then one click sends the link to the customer.
    agent.get_by_label("Search help articles").fill("warranty")
    expect(agent.locator("#kb-suggest-note")).to_have_text("No article matches.")
    agent.get_by_label("Search help articles").fill("shipping")
    expect(agent.locator("#kb-suggest-list li").first.get_by_role("link")).to_have_text("Shipping times")
    agent.get_by_label("Search help articles").fill("refund")
    expect(agent.locator("#kb-suggest-list li").first.get_by_role("link")).to_have_text("How refunds work")
    agent.locator("#kb-suggest-list li").first.get_by_role("button", name="Send link").click()
    expect(agent.locator("#messages .m.agent .body").last).to_have_text(f"How refunds work — {link}")
    expect(agent.locator("#kb-suggest-note")).to_have_text("Link sent.")
    connection.set_schema(cc.info.schema_name)
    wait_until(
        lambda: Message.objects.filter(interaction=asking, kind="agent", body__endswith=link).exists(),
        10,
        "the link sent to the customer",
    )
    assert SearchLog.objects.filter(source="desktop", query="refund").exists()
    connection.set_schema_to_public()

    # Writing a reply: the link joins it instead of going on its own.
    agent.locator("#reply-input").fill("Here is how it works:")
    agent.get_by_role("button", name="Send link").first.click()
    expect(agent.locator("#reply-input")).to_have_value(f"Here is how it works:\nHow refunds work — {link}")
    expect(agent.locator("#kb-suggest-note")).to_have_text("Link added to your reply.")
    agent.context.close()


def test_suggestions_only_for_who_works_on_it_and_drafts_never_public(shop: Shop) -> None:
    cc = make_center(shop.origin)
    draft = publish(cc, "Refund checklist (staff)", "<p>Internal.</p>", status="draft")
    live = publish(cc, "How refunds work", "<p>Refunds in three days.</p>")
    connection.set_schema(cc.info.schema_name)
    do_set_agent_state(cc.agents[0], AgentState.AVAILABLE)
    asking = take(chat(cc, Contact.objects.create(), "refund please"), cc.agents[0])
    connection.set_schema_to_public()

    def signed_in(email: str) -> Client:
        client = Client(HTTP_HOST=cc.info.host)
        assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
        return client

    alex = signed_in(f"agent1@{cc.info.subdomain}.test")
    bea = signed_in(f"agent2@{cc.info.subdomain}.test")
    mine = alex.get("/api/v1/kb/suggestions", {"interaction": asking.pk})
    assert mine.status_code == 200 and [r["title"] for r in mine.json()["results"]] == ["How refunds work"]
    assert bea.get("/api/v1/kb/suggestions", {"interaction": asking.pk}).status_code == 403
    for bad in ("x", "²", "9" * 40):  # not an id, a digit only to str.isdigit, past any id: not found
        assert alex.get("/api/v1/kb/suggestions", {"interaction": bad}).status_code == 404
    assert Client(HTTP_HOST=cc.info.host).get("/api/v1/kb/suggestions", {"interaction": asking.pk}).status_code in (
        401,
        403,
    )

    public = Client(HTTP_HOST=cc.info.host)
    shown = public.get(f"/api/v1/kb/public/{live.pk}")
    assert shown.status_code == 200 and shown.json()["body"] == "<p>Refunds in three days.</p>"
    assert public.get(f"/api/v1/kb/public/{draft.pk}").status_code == 404
