"""The tenant's own outgoing mail server (issue 16), a real SMTP server that requires AUTH (aiosmtpd): a
mailbox set to it sends its acknowledgement and the agent's answer there, signed in, from the address it
sends as, still threaded (Reply-To the conversation's address, References); nothing of it reaches the
platform's server; "test the mail server" says when the login is refused; a mailbox without one keeps the
platform's. The settings page's test button in Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.email.actions import do_save_mailbox, mailbox_for
from apps.email.models import Email
from apps.email.outbound import check_smtp
from apps.inbox.actions import do_agent_reply
from apps.inbox.models import Interaction
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page
from tests.mail import fixtures
from tests.mail.conftest import Receiver, Sink
from tests.mail.test_mail_flow import settle
from tests.processes import free_port, wait_until

LOGIN, SECRET = "alpha-mailer", "smtp-s3cret"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")


@pytest.fixture(scope="module")
def own_server() -> Iterator[tuple[int, list[EmailMessage], list[str]]]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    port, received, logins = free_port(), [], []
    lock = threading.Lock()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (LOGIN.encode(), SECRET.encode())
        if ok:
            logins.append(LOGIN)
        return AuthResult(success=ok, handled=False)

    class Handler:
        async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
            with lock:
                received.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
            return "250 Accepted"

    controller = Controller(
        Handler(), hostname="127.0.0.1", port=port, authenticator=authenticator,
        auth_required=True, auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    yield port, received, logins
    controller.stop()


def own(port: int, password: str = SECRET) -> dict[str, Any]:
    return {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none", "smtp_username": LOGIN,
            "smtp_password": password, "send_as": "help@alpha.example"}  # fmt: skip


def test_answers_through_the_tenants_server(
    tenant_a: TenantInfo, receiver: Receiver, sink: Sink, own_server: tuple[int, list[EmailMessage], list[str]]
) -> None:
    port, received, logins = own_server
    connection.set_schema(tenant_a.schema_name)
    support = mailbox_for(["support"])
    wrong = do_save_mailbox(tenant_a.owner, own(port, "guess"), support.pk)
    assert check_smtp(wrong) == "The server refused the login or password."
    assert check_smtp(do_save_mailbox(tenant_a.owner, {**own(port), "smtp_port": 1}, support.pk)).startswith(
        "Could not reach 127.0.0.1 on port 1"
    )
    mailbox = do_save_mailbox(tenant_a.owner, own(port), support.pk)
    assert check_smtp(mailbox) == ""
    assert mailbox.smtp_password_sealed and SECRET not in mailbox.smtp_password_sealed
    connection.set_schema_to_public()

    domain = f"{tenant_a.subdomain}.mail.localhost"
    receiver.send(fixtures.first_mail(f"support@{domain}", message_id="own1@example.com"), [f"support@{domain}"])
    settle(tenant_a.schema_name)
    thread = Interaction.objects.get(channel="email")
    wait_until(lambda: any(m["To"] == "wu.lei@example.com" for m in received), 30, "the acknowledgement")
    ann = User.objects.create_user(email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    Interaction.objects.filter(pk=thread.pk).update(assignee=ann, assigned_agent=ensure_agent_profile(ann))
    thread.refresh_from_db()
    do_agent_reply(thread, ann, "Sent through your own server.")
    wait_until(lambda: len([m for m in received if m["To"] == "wu.lei@example.com"]) >= 2, 30, "the answer")
    answer = [m for m in received if m["To"] == "wu.lei@example.com"][-1]
    assert answer["From"].addresses[0].addr_spec == "help@alpha.example"
    assert answer["Reply-To"].startswith(f"reply+{thread.pk}-") and answer["Reply-To"].endswith(f"@{domain}")
    assert "<own1@example.com>" in answer["References"] and answer.get_content().startswith("Sent through")
    assert logins and not [m for m in sink.messages if domain in str(m.get("Reply-To", ""))]  # none via ours
    connection.set_schema(tenant_a.schema_name)
    wait_until(lambda: Email.objects.filter(direction="out", status="sent").count() == 2, 15, "both marked sent")


def test_the_test_button(
    browser: Any, web_server: WebServer, tenant_a: TenantInfo, own_server: tuple[int, list[EmailMessage], list[str]]
) -> None:
    port = own_server[0]
    connection.set_schema(tenant_a.schema_name)
    mailbox_for(["support"])
    connection.set_schema_to_public()
    page = signed_in_page(browser, web_server, tenant_a)
    page.goto(web_server.url("/settings/email/", tenant_a.subdomain))
    box = page.locator('[data-mailbox="support"]')
    box.get_by_label("Outgoing server (SMTP; empty: ours)").fill("127.0.0.1")
    box.get_by_label("SMTP security").select_option(label="None: only on a private network")
    box.get_by_label("SMTP port").fill(str(port))
    box.get_by_label("SMTP login").fill(LOGIN)
    box.get_by_label("SMTP password").fill("guess")
    box.get_by_label("Send as (From address on your server)").fill("help@alpha.example")
    box.get_by_role("button", name="Test the mail server").click()
    expect(page.locator(".messages")).to_contain_text("The server refused the login or password.")
    box = page.locator('[data-mailbox="support"]')
    expect(box.get_by_label("SMTP password")).to_have_value("")
    box.get_by_label("SMTP password").fill(SECRET)
    box.get_by_role("button", name="Test the mail server").click()
    expect(page.locator(".messages")).to_contain_text("127.0.0.1 accepted the login: answers go out through it.")
    assert SECRET not in page.content()
    page.screenshot(path="test-artifacts/email-own-smtp.png", full_page=True)
    page.context.close()
