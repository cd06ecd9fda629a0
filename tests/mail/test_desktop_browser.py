"""An agent answers an email from the desktop (issue 16): the customer's mail is offered to the
available agent, opens in the conversation view like any other channel, and the answer typed there
reaches the customer's mail server threaded under their mail."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.email.models import Email
from tests.conftest import WebServer
from tests.inbox.conftest import desktop, go_available, make_center
from tests.mail import fixtures
from tests.mail.conftest import Receiver, Sink
from tests.processes import wait_until


def test_an_email_answered_from_the_desktop(
    browser: Any, web_server: WebServer, receiver: Receiver, sink: Sink
) -> None:
    cc = make_center("http://127.0.0.1:9", agents=1)
    agent = go_available(desktop(browser, web_server, cc, 1))
    support = f"support@{cc.info.subdomain}.mail.localhost"
    receiver.send(fixtures.first_mail(support, message_id="desk-1@example.com"), [support])

    expect(agent.locator("#offer-dialog")).to_be_visible(timeout=30_000)
    expect(agent.locator("#offer-channel")).to_have_text("Email")
    expect(agent.locator("#offer-subject")).to_have_text("Where is my order?")
    agent.click("#offer-accept")
    expect(agent.locator("#conv-title")).to_contain_text("Email")
    expect(agent.locator("#messages")).to_contain_text("My order 1234 never arrived.")
    wait_until(lambda: len(sink.to("wu.lei@example.com", sent_by=cc.info.subdomain)) >= 1, 30, "the acknowledgement")
    # The mail as written, from its message: sender, recipients, subject.
    link = agent.locator("#messages .m.customer").first.get_by_role("link", name="✉ View the mail")
    expect(link).to_be_visible()
    with agent.context.expect_page() as opened:
        link.click()
    original = opened.value
    expect(original.get_by_test_id("mail-head")).to_contain_text("wu.lei@example.com")
    expect(original.get_by_test_id("mail-head")).to_contain_text(support)
    expect(original.get_by_role("heading", level=1)).to_have_text("Where is my order?")
    expect(original.get_by_test_id("mail-text")).to_have_text("My order 1234 never arrived.")
    original.close()
    agent.fill("#reply-input", "Found it: it ships tomorrow.")
    agent.click("#reply-send")
    expect(agent.locator("#messages")).to_contain_text("Found it: it ships tomorrow.")

    def answer() -> Any:
        found = [m for m in sink.to("wu.lei@example.com", sent_by=cc.info.subdomain) if "Found it" in m.get_content()]
        return found[0] if found else None

    wait_until(lambda: answer() is not None, 30, "the answer to reach the customer's mail server")
    mail = answer()
    assert mail["In-Reply-To"] is not None and "desk-1@example.com" in mail["References"]
    connection.set_schema(cc.info.schema_name)
    sent = Email.objects.get(direction="out", message__body="Found it: it ships tomorrow.")
    wait_until(lambda: Email.objects.get(pk=sent.pk).status == "sent", 15, "the answer marked sent")
    connection.set_schema_to_public()
    agent.context.close()
