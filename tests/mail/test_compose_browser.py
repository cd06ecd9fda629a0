"""The desktop's email composer in Chromium (issue 16): the Cc of the customer's mail is offered for the
answer; an email template (a canned response) fills the answer with the customer's name; the mailbox's
signature is shown as it will be added; a bad Bcc is said under the composer; the answer reaches the
mail server with its Cc header, its Bcc only in the envelope, and the signature; a received mail is
forwarded to a colleague with a note (a bad address said in the dialog) and the conversation says so."""

from __future__ import annotations

from typing import Any

from django.db import connection
from playwright.sync_api import expect

from apps.email.actions import do_save_mailbox, mailbox_for
from apps.inbox.models import CannedResponse
from tests.conftest import WebServer
from tests.inbox.conftest import desktop, go_available, make_center
from tests.mail import fixtures
from tests.mail.conftest import Receiver, Sink
from tests.processes import wait_until


def test_answer_with_copies_template_and_forward(
    browser: Any, web_server: WebServer, receiver: Receiver, sink: Sink
) -> None:
    cc = make_center("http://127.0.0.1:9", agents=1)
    connection.set_schema(cc.info.schema_name)
    CannedResponse.objects.create(
        shortcut="shipped", title="Shipped", body="Dear {{ customer.first_name }}, your parcel is on its way."
    )
    do_save_mailbox(cc.info.owner, {"signature": "Acme Support · 24/7"}, mailbox_for(["support"]).pk)
    connection.set_schema_to_public()
    agent = go_available(desktop(browser, web_server, cc, 1))
    domain = f"{cc.info.subdomain}.mail.localhost"
    support = f"support@{domain}"
    raw = fixtures.first_mail(support, message_id="cc-1@example.com").replace(
        b"Subject:", b"Cc: Li Na <li.na@example.com>\r\nSubject:", 1
    )
    receiver.send(raw, [support])
    expect(agent.locator("#offer-dialog")).to_be_visible(timeout=30_000)
    agent.click("#offer-accept")
    expect(agent.locator("#messages")).to_contain_text("My order 1234 never arrived.")

    tools = agent.locator("#mail-tools")
    expect(tools).to_be_visible()
    expect(tools.get_by_label("Cc", exact=True)).to_have_value("li.na@example.com")
    expect(agent.locator("#mail-signature")).to_have_text("Signature added when sent: Acme Support · 24/7")
    tools.get_by_label("Email template").select_option(label="Shipped (/shipped)")
    expect(agent.locator("#reply-input")).to_have_value("Dear Wu, your parcel is on its way.")
    tools.get_by_label("Bcc", exact=True).fill("not an address")
    agent.click("#reply-send")
    expect(agent.locator("#mail-error")).to_contain_text("Not an email address: not an address")
    tools.get_by_label("Bcc", exact=True).fill("audit@acme.example")
    agent.click("#reply-send")
    expect(agent.locator("#messages")).to_contain_text("Dear Wu, your parcel is on its way.")
    expect(agent.locator("#reply-input")).to_have_value("")

    def answer() -> Any:
        found = [m for m in sink.to("wu.lei@example.com", sent_by=domain) if "parcel" in m.get_content()]
        return found[0] if found else None

    wait_until(lambda: answer() is not None, 30, "the answer at the mail server")
    mail = answer()
    assert mail["Cc"] == "li.na@example.com" and "Bcc" not in mail
    assert "-- \nAcme Support · 24/7" in mail.get_content().replace("\r\n", "\n")
    assert sorted(sink.envelopes[str(mail["Message-ID"])]) == [
        "audit@acme.example", "li.na@example.com", "wu.lei@example.com"
    ]  # fmt: skip

    # Forward the customer's mail to the warehouse.
    agent.locator("#messages .m.customer").first.get_by_role("button", name="Forward").click()
    dialog = agent.locator("#forward-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("To").fill("warehouse")
    dialog.get_by_role("button", name="Forward").click()
    expect(agent.locator("#forward-error")).to_contain_text("Not an email address: warehouse")
    dialog.get_by_label("To").fill("warehouse@partner.example")
    dialog.get_by_label("Note above the mail").fill("Please check order 1234.")
    dialog.get_by_role("button", name="Forward").click()
    expect(dialog).to_be_hidden()
    expect(agent.locator("#messages")).to_contain_text(
        "forwarded the mail “Where is my order?” to warehouse@partner.example"
    )
    [forwarded] = sink.to("warehouse@partner.example", sent_by=domain)
    assert forwarded["Subject"] == "Fwd: Where is my order?"
    text = forwarded.get_content()
    assert text.startswith("Please check order 1234.") and "My order 1234 never arrived." in text
    assert forwarded["Reply-To"].startswith("reply+")
    agent.screenshot(path="test-artifacts/email-composer.png", full_page=True)
    agent.context.close()
