"""Email end to end (issue 16), with the real parts: mail sent over SMTP to the built-in receiver, read,
threaded and routed by a Celery worker, answered through a real SMTP server.

A first mail opens a conversation and is acknowledged (once, marked auto-replied, threaded); the same
mail delivered twice is one message, another mail reusing its Message-ID is not lost; replies thread by
In-Reply-To, by the conversation's reply address (Outlook's reply that carries no threading header) and
by the ticket token only from the contact; the agent's answer goes out with the whole References chain
and the signature; a bounce of it is shown to the agent; lists and out-of-office mail are never
answered; an oversized mail and a stranger's address are refused in the SMTP conversation."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.email.actions import do_save_mailbox, mailbox_for
from apps.email.models import Email
from apps.email.parsing import ids
from apps.inbox.actions import do_agent_reply
from apps.inbox.models import Interaction, Message
from tests.conftest import PASSWORD, TenantInfo
from tests.mail import fixtures
from tests.mail.conftest import Receiver, Sink
from tests.processes import wait_until


def spool_empty(schema: str) -> bool:
    folder = f"{schema}/mail/in"
    return not default_storage.exists(folder) or not default_storage.listdir(folder)[1]


def settle(schema: str) -> None:
    """Every mail the receiver kept has been read (the worker removes each file once it is in the inbox)."""
    wait_until(lambda: spool_empty(schema), 30, "the received mail to be read")
    connection.set_schema(schema)


def messages(interaction: Interaction) -> list[tuple[str, str]]:
    return [(m.kind, m.body) for m in Message.objects.filter(interaction=interaction).order_by("seq")]


def test_a_conversation_by_mail(tenant_a: TenantInfo, receiver: Receiver, sink: Sink) -> None:
    schema, domain = tenant_a.schema_name, f"{tenant_a.subdomain}.mail.localhost"
    support = f"support@{domain}"
    receiver.send(fixtures.first_mail(support), [support])
    settle(schema)
    thread = Interaction.objects.get(channel="email")
    assert thread.subject == "Where is my order?" and thread.contact is not None
    assert (thread.contact.email, thread.contact.name) == ("wu.lei@example.com", "Wu Lei")
    assert messages(thread)[0] == ("customer", "My order 1234 never arrived.")

    # The acknowledgement: once, marked as automatic, threaded under the customer's mail.
    [ack] = sink.to("wu.lei@example.com", sent_by=domain)
    assert ack["Auto-Submitted"] == "auto-replied" and ack["In-Reply-To"] == "<m1@example.com>"
    assert ack["Subject"] == f"Re: Where is my order? [#{thread.pk}]"
    assert ack["Reply-To"].startswith(f"reply+{thread.pk}-") and ack["From"].addresses[0].addr_spec == support
    assert f"#{thread.pk}" in ack.get_content()
    wait_until(lambda: ("system", "Acknowledgement sent to wu.lei@example.com.") in messages(thread), 15, "the note")

    # Delivered twice: one message. Another mail reusing the Message-ID: kept.
    receiver.send(b"Received: from mx2.example.com\r\n" + fixtures.first_mail(support), [support])
    receiver.send(fixtures.first_mail(support, body="And where is my refund?"), [support])
    settle(schema)
    assert [b for k, b in messages(thread) if k == "customer"] == ["My order 1234 never arrived."]
    assert Message.objects.filter(kind="customer", body="And where is my refund?").exists()
    assert len(sink.to("wu.lei@example.com", sent_by=domain)) == 1  # one acknowledgement a day per sender

    # Apple Mail answers the acknowledgement: threaded by In-Reply-To, its inline image kept, its HTML safe.
    ack_id = ids(str(ack["Message-ID"]))[0]
    receiver.send(fixtures.apple_reply(support, ack_id, f"<m1@example.com> <{ack_id}>"), [support])
    settle(schema)
    assert messages(thread)[-1] == ("customer", "Here is the label.")
    image = Message.objects.filter(interaction=thread).order_by("seq").last().attachment  # type: ignore[union-attr]
    assert image is not None and (image.name, image.content_type) == ("label.png", "image/png")
    apple = Email.objects.get(msgid="A1B2C3D4-apple@example.com")
    assert "cid:label@apple" in apple.html and "<script" not in apple.html

    # Outlook's reply carries no threading header: the conversation's reply address threads it.
    reply_to = ack["Reply-To"]
    receiver.send(fixtures.outlook_reply(reply_to, "Where is my order?"), [reply_to])
    settle(schema)
    assert messages(thread)[-1] == ("customer", "Still nothing, can you check again?")
    # A guessed reply address threads nothing (its signature is wrong): a new conversation.
    forged = f"reply+{thread.pk}-000000000000@{tenant_a.subdomain}.mail.localhost"
    receiver.send(fixtures.first_mail(forged, message_id="forged@example.org", body="Let me in"), [forged])
    settle(schema)
    assert Message.objects.get(body="Let me in").interaction_id != thread.pk

    # The agent answers: the mail carries the thread and the signature.
    do_save_mailbox(tenant_a.owner, {"signature": "Alpha Ltd support"}, mailbox_for(["support"]).pk)
    ann = User.objects.create_user(email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    profile = ensure_agent_profile(ann)
    Interaction.objects.filter(pk=thread.pk).update(assignee=ann, assigned_agent=profile)
    thread.refresh_from_db()
    do_agent_reply(thread, ann, "It left our warehouse today.")
    answer = sink.to("wu.lei@example.com", count=2, sent_by=domain)[-1]
    assert answer["In-Reply-To"] == "<AM0PR01MB1234@eurprd01.prod.outlook.com>"
    chain = answer["References"].split()
    assert chain[0] == "<m1@example.com>" and f"<{ack_id}>" in chain and "<A1B2C3D4-apple@example.com>" in chain
    assert answer["Subject"] == f"Re: Where is my order? [#{thread.pk}]" and "Auto-Submitted" not in answer
    body = answer.get_content().replace("\r\n", "\n")
    assert body.startswith("It left our warehouse today.") and "-- \nAlpha Ltd support" in body
    connection.set_schema(schema)
    sent = Email.objects.get(direction="out", message__body="It left our warehouse today.")
    wait_until(lambda: Email.objects.get(pk=sent.pk).status == "sent", 15, "the reply to be marked sent")

    # Its bounce reaches the agent as a note, not as the customer's words.
    receiver.send(fixtures.bounce(support, sent.msgid), [support])
    settle(schema)
    assert Email.objects.get(pk=sent.pk).status == "failed"
    kind, note = messages(thread)[-1]
    assert kind == "system" and "was not delivered" in note and "Recipient address rejected" in note

    # The ticket token threads only the contact's own mail.
    stranger = (
        fixtures.first_mail(support, message_id="x@evil.example")
        .replace(b"From: Wu Lei <wu.lei@example.com>", b"From: Eve <eve@evil.example>")
        .replace(b"Subject: Where is my order?", f"Subject: About [#{thread.pk}]".encode())
    )
    receiver.send(stranger, [support], sender="eve@evil.example")
    settle(schema)
    assert (
        Message.objects.get(kind="customer", interaction__contact__email="eve@evil.example").interaction_id != thread.pk
    )


def test_machines_are_never_answered_and_refusals_are_said(
    tenant_a: TenantInfo, receiver: Receiver, sink: Sink
) -> None:
    schema, support = tenant_a.schema_name, f"support@{tenant_a.subdomain}.mail.localhost"
    receiver.send(fixtures.list_mail(support), [support], sender="news@lists.example.com")
    receiver.send(fixtures.out_of_office(support), [support], sender="ann@partner.example.com")
    # A sender the relay refuses: the acknowledgement fails, and the agent reads why.
    nobody = fixtures.first_mail(support, message_id=make_msgid().strip("<>")).replace(
        b"wu.lei@example.com", b"nobody@example.com"
    )
    receiver.send(nobody, [support], sender="nobody@example.com")
    settle(schema)
    assert Interaction.objects.filter(channel="email").count() == 3  # kept, for an agent to see
    failed = Interaction.objects.get(contact__email="nobody@example.com")
    wait_until(lambda: any(k == "system" and "was not sent" in b for k, b in messages(failed)), 30, "the failure note")
    assert "550 5.1.1 No such user" in messages(failed)[-1][1]
    assert not [m for m in sink.messages if "news@" in str(m["To"]) or "ann@partner" in str(m["To"])]

    # Too big: refused at DATA, with the limit; nothing kept.
    before = Email.objects.count()
    huge = fixtures.first_mail(support, message_id="huge@example.com", body="x" * (3 * 1024 * 1024))
    with pytest.raises(smtplib.SMTPException) as refused:
        receiver.send(huge, [support])
    assert "552" in str(refused.value) or "size" in str(refused.value).lower()
    # A tenant that does not exist: refused at RCPT.
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        receiver.send(fixtures.first_mail("x@nosuch.mail.localhost"), ["x@nosuch.mail.localhost"])
    settle(schema)
    assert Email.objects.count() == before
